#!/usr/bin/env python3
"""A schema-only Terraform provider (plugin protocol 6 over go-plugin/gRPC).

It serves a provider schema and accepts every configuration Terraform has
already checked against that schema. It has no AWS client: plan and apply
operations are not implemented (Terraform gets UNIMPLEMENTED), so it is only
good for `terraform init -plugin-dir` + `terraform validate`.

  provider.py compile SCHEMA.json OUT.pb [PROVIDER_ADDR]
      Turns a `terraform providers schema -json` style document into the
      serialized GetProviderSchema response (done once, at install time).
  provider.py serve OUT.pb
      What Terraform runs (through the wrapper the installer writes).

Uses the tfplugin6 protobuf/gRPC stubs shipped by PyPI `tf` (tf.gen).
"""
import base64
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from concurrent import futures

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"


# --------------------------------------------------------------------------- compile
def _cty(t):
    return json.dumps(t, separators=(",", ":")).encode()


def _attribute(pb, name, a):
    kw = dict(
        name=name,
        required=bool(a.get("required")),
        optional=bool(a.get("optional")),
        computed=bool(a.get("computed")),
        sensitive=bool(a.get("sensitive")),
        deprecated=bool(a.get("deprecated")),
    )
    if "nested_type" in a:
        nt = a["nested_type"]
        kw["nested_type"] = pb.Schema.Object(
            attributes=[_attribute(pb, n, x) for n, x in sorted(nt.get("attributes", {}).items())],
            nesting=getattr(pb.Schema.Object.NestingMode, nt["nesting_mode"].upper()),
            min_items=nt.get("min_items", 0),
            max_items=nt.get("max_items", 0),
        )
    else:
        kw["type"] = _cty(a["type"])
    return pb.Schema.Attribute(**kw)


def _block(pb, b):
    return pb.Schema.Block(
        attributes=[_attribute(pb, n, a) for n, a in sorted(b.get("attributes", {}).items())],
        block_types=[
            pb.Schema.NestedBlock(
                type_name=n,
                block=_block(pb, bt.get("block", {})),
                nesting=getattr(pb.Schema.NestedBlock.NestingMode, bt["nesting_mode"].upper()),
                min_items=bt.get("min_items", 0),
                max_items=bt.get("max_items", 0),
            )
            for n, bt in sorted(b.get("block_types", {}).items())
        ],
    )


def _schema(pb, s):
    return pb.Schema(version=s.get("version", 0), block=_block(pb, s.get("block", {})))


def compile_schema(src, out, addr=None):
    from tf.gen import tfplugin_pb2 as pb

    with open(src) as f:
        doc = json.load(f)
    schemas = doc["provider_schemas"]
    if addr is None:
        if len(schemas) != 1:
            raise SystemExit(f"{src}: several providers, name one of {sorted(schemas)}")
        addr = next(iter(schemas))
    ps = schemas[addr]
    resp = pb.GetProviderSchema.Response(
        provider=_schema(pb, ps.get("provider", {})),
        provider_meta=pb.Schema(block=pb.Schema.Block()),
        resource_schemas={n: _schema(pb, s) for n, s in ps.get("resource_schemas", {}).items()},
        data_source_schemas={n: _schema(pb, s) for n, s in ps.get("data_source_schemas", {}).items()},
        server_capabilities=pb.ServerCapabilities(plan_destroy=True),
    )
    data = resp.SerializeToString(deterministic=True)
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, out)
    print(
        f"compiled {addr}: {len(ps.get('resource_schemas', {}))} resources, "
        f"{len(ps.get('data_source_schemas', {}))} data sources, {len(data)} bytes",
        file=sys.stderr,
    )


# --------------------------------------------------------------------------- config checks
class _Unknown:
    """An unknown value (cty msgpack extension), e.g. a dynamic block over unknown for_each."""


UNKNOWN = _Unknown()
_SINGLE, _SET = 1, 3  # tfplugin6 NestingMode values (same in Schema.NestedBlock and Schema.Object)


def decode_config(dv):
    """The configuration object of a tfplugin6 DynamicValue (msgpack or JSON)."""
    import msgpack

    if dv.msgpack:
        return msgpack.unpackb(dv.msgpack, raw=False, strict_map_key=False,
                               ext_hook=lambda code, data: UNKNOWN)
    if dv.json:
        return json.loads(dv.json)
    return None


def check_block(block, value, path, diags):
    """What Terraform core leaves to providers (the SDKs do it in Validate*Config):
    computed-only attributes must not be set; nested block counts within
    min_items/max_items. `diags` gets (summary, detail, path) tuples."""
    if not isinstance(value, dict):
        return
    for a in block.attributes:
        v = value.get(a.name)
        if v is None:
            continue
        if a.computed and not a.optional and not a.required:
            diags.append(("Value for unconfigurable attribute",
                          f'Can\'t configure a value for "{a.name}": its value will be decided automatically '
                          "based on the result of applying this configuration.", path + [a.name]))
        elif a.HasField("nested_type") and v is not UNKNOWN:
            obj = _Schema_Object_as_block(a.nested_type)
            mode = a.nested_type.nesting
            if mode == _SINGLE:
                check_block(obj, v, path + [a.name], diags)
            elif isinstance(v, list):
                for i, item in enumerate(v):
                    check_block(obj, item, path + [a.name] + ([] if mode == _SET else [i]), diags)
            elif isinstance(v, dict):
                for k, item in v.items():
                    check_block(obj, item, path + [a.name, ("key", k)], diags)
    for bt in block.block_types:
        v = value.get(bt.type_name)
        if v is None or v is UNKNOWN:
            continue
        if isinstance(v, list):
            n = len(v)
            if bt.max_items and n > bt.max_items:
                diags.append((f"Too many {bt.type_name} blocks",
                              f"No more than {bt.max_items} \"{bt.type_name}\" blocks are allowed", path + [bt.type_name]))
            elif bt.min_items and n < bt.min_items and not any(x is UNKNOWN for x in v):
                diags.append((f"Insufficient {bt.type_name} blocks",
                              f"At least {bt.min_items} \"{bt.type_name}\" blocks are required.", path + [bt.type_name]))
            for i, item in enumerate(v):
                # Set elements have no index Terraform could point at: stop at the block.
                check_block(bt.block, item, path + [bt.type_name] + ([] if bt.nesting == _SET else [i]), diags)
        elif isinstance(v, dict):
            if bt.nesting == _SINGLE:
                check_block(bt.block, v, path + [bt.type_name], diags)
            else:
                for k, item in v.items():
                    check_block(bt.block, item, path + [bt.type_name, ("key", k)], diags)


class _Schema_Object_as_block:
    def __init__(self, obj):
        self.attributes = obj.attributes
        self.block_types = ()


def _diagnostics(pb, diags):
    return [pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary, detail=detail,
                          attribute=pb.AttributePath(steps=[_step(pb, p) for p in path]))
            for summary, detail, path in diags]


def _step(pb, p):
    """Path element: a name (str), a list/set index (int) or a map key (("key", k))."""
    if isinstance(p, int):
        return pb.AttributePath.Step(element_key_int=p)
    if isinstance(p, tuple):
        return pb.AttributePath.Step(element_key_string=p[1])
    return pb.AttributePath.Step(attribute_name=p)


# --------------------------------------------------------------------------- serve
def _self_signed_cert():
    """Server certificate for go-plugin's AutoMTLS (the client pins it from the handshake line)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                          data_encipherment=False, key_agreement=True, key_cert_sign=True,
                          crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                              ExtendedKeyUsageOID.CLIENT_AUTH]), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.DER), cert.public_bytes(serialization.Encoding.PEM), key_pem


def serve(pb_path):
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        sys.stderr.write("This binary is a plugin. These are not meant to be executed directly.\n"
                         "Please execute the program that consumes these plugins, which will\n"
                         "load any plugins automatically\n")
        sys.exit(1)
    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "6").split(",")
    if "6" not in versions:
        sys.stderr.write(f"schema-only provider speaks protocol 6 only; client offers {versions}\n")
        sys.exit(1)

    import grpc
    from tf.gen import tfplugin_pb2 as pb

    with open(pb_path, "rb") as f:
        schema_bytes = f.read()

    done = threading.Event()

    def unary(req_cls, fn, raw_response=False):
        return grpc.unary_unary_rpc_method_handler(
            fn,
            request_deserializer=req_cls.FromString,
            response_serializer=(lambda b: b) if raw_response else (lambda m: m.SerializeToString()),
        )

    def empty(resp_cls):
        return lambda request, context: resp_cls()

    def get_metadata(request, context):
        return pb.GetMetadata.Response(server_capabilities=pb.ServerCapabilities(plan_destroy=True))

    def stop_provider(request, context):
        return pb.StopProvider.Response()

    schema_cache = {}

    def schemas():
        if not schema_cache:
            resp = pb.GetProviderSchema.Response.FromString(schema_bytes)
            schema_cache["provider"] = resp.provider.block
            schema_cache["resource"] = {n: s.block for n, s in resp.resource_schemas.items()}
            schema_cache["data"] = {n: s.block for n, s in resp.data_source_schemas.items()}
        return schema_cache

    def validator(kind, resp_cls):
        def validate(request, context):
            sc = schemas()
            block = sc["provider"] if kind == "provider" else sc[kind].get(request.type_name)
            diags = []
            if block is not None:
                try:
                    check_block(block, decode_config(request.config), [], diags)
                except Exception as e:  # never fail validation because of this checker
                    sys.stderr.write(f"schema-only provider: config check skipped: {e!r}\n")
                    diags = []
            return resp_cls(diagnostics=_diagnostics(pb, diags))
        return validate

    provider_methods = {
        "GetMetadata": unary(pb.GetMetadata.Request, get_metadata),
        "GetProviderSchema": unary(pb.GetProviderSchema.Request, lambda r, c: schema_bytes, raw_response=True),
        # Terraform core has already checked the configuration against the schema
        # (unknown/missing arguments, types, min_items) before it calls these; they add
        # what the SDKs check in the provider: computed-only attributes set, max_items.
        "ValidateProviderConfig": unary(pb.ValidateProviderConfig.Request,
                                        validator("provider", pb.ValidateProviderConfig.Response)),
        "ValidateResourceConfig": unary(pb.ValidateResourceConfig.Request,
                                        validator("resource", pb.ValidateResourceConfig.Response)),
        "ValidateDataResourceConfig": unary(pb.ValidateDataResourceConfig.Request,
                                            validator("data", pb.ValidateDataResourceConfig.Response)),
        "GetFunctions": unary(pb.GetFunctions.Request, empty(pb.GetFunctions.Response)),
        "StopProvider": unary(pb.StopProvider.Request, stop_provider),
    }

    class _Empty:
        @staticmethod
        def FromString(b):
            return b

    def shutdown(request, context):
        done.set()
        return b""

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)],
    )
    server.add_generic_rpc_handlers((
        grpc.method_handlers_generic_handler("tfplugin6.Provider", provider_methods),
        grpc.method_handlers_generic_handler("plugin.GRPCController", {
            "Shutdown": grpc.unary_unary_rpc_method_handler(
                shutdown, request_deserializer=_Empty.FromString, response_serializer=lambda b: b),
        }),
        grpc.method_handlers_generic_handler("plugin.GRPCStdio", {
            "StreamStdio": grpc.unary_stream_rpc_method_handler(
                lambda req, ctx: iter(()), request_deserializer=_Empty.FromString,
                response_serializer=lambda b: b),
        }),
    ))

    der, cert_pem, key_pem = _self_signed_cert()
    # go-plugin's AutoMTLS: Terraform pins this certificate from the handshake line.
    # (Its client does not present PLUGIN_CLIENT_CERT on the connection, so no client auth.)
    creds = grpc.ssl_server_credentials([(key_pem, cert_pem)])
    tmpdir = tempfile.mkdtemp(prefix="tfprov-")
    sock = os.path.join(tmpdir, "plugin.sock")
    server.add_secure_port(f"unix://{sock}", creds)
    server.start()

    def _stop(*_):
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # go-plugin forwards Ctrl-C; wait for Shutdown instead
    sys.stdout.write(f"1|6|unix|{sock}|grpc|{base64.b64encode(der).decode().rstrip('=')}\n")
    sys.stdout.flush()
    done.wait()
    server.stop(grace=0.2).wait()
    shutil.rmtree(tmpdir, ignore_errors=True)
    os._exit(0)


def main(argv):
    if len(argv) >= 4 and argv[1] == "compile":
        compile_schema(argv[2], argv[3], argv[4] if len(argv) > 4 else None)
    elif len(argv) == 3 and argv[1] == "serve":
        serve(argv[2])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
