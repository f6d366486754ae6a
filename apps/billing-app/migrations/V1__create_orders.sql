-- One row per billing message. message_id is the idempotency key: the AMQP
-- message_id set by the gateway (a UUID), or "sha256:<hex of the body>" for a
-- message published without one. A redelivered message hits the UNIQUE
-- constraint and is skipped (INSERT ... ON CONFLICT (message_id) DO NOTHING).
CREATE TABLE IF NOT EXISTS orders (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         TEXT          NOT NULL CHECK (length(user_id) BETWEEN 1 AND 255),
    number_of_items INTEGER       NOT NULL CHECK (number_of_items > 0),
    total_amount    NUMERIC(17,2) NOT NULL CHECK (total_amount >= 0),
    message_id      TEXT          NOT NULL,
    created_at      TIMESTAMPTZ   NOT NULL DEFAULT now(),
    CONSTRAINT orders_message_id_key UNIQUE (message_id)
);
