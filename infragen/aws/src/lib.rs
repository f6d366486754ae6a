//! Operations against a running deployment through the AWS SDK (ECS, Cognito).
