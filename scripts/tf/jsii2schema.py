#!/usr/bin/env python3
"""Convert the cdktn prebuilt AWS provider (PyPI cdktn-provider-aws) into a
Terraform provider schema, in the JSON format of `terraform providers schema -json`.

The wheel holds `cdktn_provider_aws/_jsii/provider-aws@<v>.jsii.tgz`. Inside it:
  - `package/.jsii`: the jsii assembly (types, optional flags, docs);
  - `package/lib/<name>/index.js`: the generated code, which carries what the
    assembly does not: the Terraform names, whether a complex value is rendered
    as a block or an attribute, list vs set vs single nesting, and typed getters
    for every attribute a resource exposes (including computed-only ones).

How each fact is derived (see README.md for the limits):
  - names, block/attribute, list/set/map/struct: `xToHclTerraform()` /
    `synthesizeHclAttributes()` entries `{value, isBlock, type, storageClassType}`;
  - required: the jsii struct property is not optional; everything optional is
    emitted as optional+computed (jsii has no computed flag);
  - computed-only attributes: typed getters (`getStringAttribute('arn')`, ...)
    and complex fields (`_x = new XList(this, "x", wrapsSet)`) that are not
    configuration;
  - block vs nested attribute: cdktn renders framework nested attributes as
    blocks too; its docs say "<name> block." only for real blocks;
  - max_items=1: a list block whose jsii type is a single struct (not an array);
    min_items=1: a required block.

Usage: jsii2schema.py WHEEL OUT.json
"""
import io
import json
import re
import sys
import tarfile
import zipfile

PROVIDER_ADDR = "registry.terraform.io/hashicorp/aws"

CLASS_RE = re.compile(r"^class (\w+) extends ([\w.]+) \{", re.M)
FUNC_RE = re.compile(r"^function (\w+)ToHclTerraform\(struct\) \{", re.M)
TOPLEVEL_RE = re.compile(r"^(?:class|function|exports\.|Object\.|//|/\*)", re.M)
ENTRY_RE = re.compile(
    r'^\s+"?([A-Za-z0-9_-]+)"?: \{\s*\n\s*value: (.*?),\s*\n\s*isBlock: (true|false),\s*\n'
    r'\s*type: "(\w+)",\s*\n\s*storageClassType: "(\w+)",\s*\n\s*\}',
    re.M,
)
VALUE_CAMEL_RE = re.compile(r"\((?:struct\.|this\._)(\w+)(?:\.internalValue)?\)\s*$")
GETTER_RE = re.compile(r"^    get (\w+)\(\) \{\n\s+return (.+?);\n    \}", re.M)
FIELD_RE = re.compile(r'^    _(\w+) = new ([\w.]+)\(this, "([^"]+)"(?:, (true|false))?\);', re.M)
FQN_RE = re.compile(r'static \[JSII_RTTI_SYMBOL_1\] = \{ fqn: "([^"]+)"')
TFTYPE_RE = re.compile(r'static tfResourceType = "([^"]+)";')
ELEM_RE = re.compile(r"\bget\((?:index|key)\) \{\s*return new (\w+)\(", re.M)
ATTR_CALL_RE = re.compile(r"^(cdktn\.Token\.asAny\()?(cdktn\.Fn\.tolist\()?this\.(\w+)\('([^']+)'\)\)*$")

PRIM = {"string": "string", "number": "number", "boolean": "bool", "any": "dynamic"}
GETTER_TYPES = {
    "getStringAttribute": "string",
    "getNumberAttribute": "number",
    "getBooleanAttribute": "bool",
    "getListAttribute": ["list", "string"],
    "getNumberListAttribute": ["list", "number"],
    "getStringMapAttribute": ["map", "string"],
    "getNumberMapAttribute": ["map", "number"],
    "getBooleanMapAttribute": ["map", "bool"],
    "getAnyMapAttribute": ["map", "dynamic"],
    "interpolationForAttribute": "dynamic",
}
CDKTN_FIELD_TYPES = {
    "cdktn.StringMap": ["map", "string"],
    "cdktn.NumberMap": ["map", "number"],
    "cdktn.BooleanMap": ["map", "bool"],
    "cdktn.AnyMap": ["map", "dynamic"],
    "cdktn.StringMapList": ["list", ["map", "string"]],
    "cdktn.NumberMapList": ["list", ["map", "number"]],
    "cdktn.BooleanMapList": ["list", ["map", "bool"]],
    "cdktn.AnyMapList": ["list", ["map", "dynamic"]],
    "cdktn.StringListList": ["list", ["list", "string"]],
    "cdktn.NumberListList": ["list", ["list", "number"]],
    "cdktn.StringListMap": ["map", ["list", "string"]],
    "cdktn.NumberListMap": ["map", ["list", "number"]],
    "cdktn.BooleanListMap": ["map", ["list", "bool"]],
    "cdktn.AnyListMap": ["map", ["list", "dynamic"]],
}
# Meta-arguments that cdktn keeps in its config structs but Terraform reserves.
PROVIDER_RESERVED = {"alias", "version"}


class Module:
    """One lib/<name>/index.js: its classes and its struct converters."""

    def __init__(self, text):
        self.classes = {}  # class name -> dict
        self.structs = {}  # struct name -> [entries]
        starts = [m.start() for m in TOPLEVEL_RE.finditer(text)] + [len(text)]
        for a, b in zip(starts, starts[1:]):
            seg = text[a:b]
            m = CLASS_RE.match(seg)
            if m:
                self._class(m.group(1), m.group(2), seg)
                continue
            m = FUNC_RE.match(seg)
            if m:
                name = m.group(1)
                self.structs[name[0].upper() + name[1:]] = _entries(seg)

    def _class(self, name, base, seg):
        c = {"base": base, "fqn": None, "tftype": None, "entries": [], "getters": {}, "fields": {}, "elem": None}
        m = FQN_RE.search(seg)
        c["fqn"] = m.group(1) if m else None
        m = TFTYPE_RE.search(seg)
        c["tftype"] = m.group(1) if m else None
        i = seg.find("synthesizeHclAttributes() {")
        if i >= 0:
            c["entries"] = _entries(seg[i:])
        for fm in FIELD_RE.finditer(seg):
            c["fields"][fm.group(1)] = (fm.group(2), fm.group(3), fm.group(4) == "true")
        for gm in GETTER_RE.finditer(seg):
            c["getters"][gm.group(1)] = gm.group(2).strip()
        m = ELEM_RE.search(seg)
        c["elem"] = m.group(1) if m else None
        self.classes[name] = c


def _entries(seg):
    out = []
    # The struct converter / synthesizeHclAttributes body ends at the first line "}" at its indent.
    for m in ENTRY_RE.finditer(seg):
        tfname, value, is_block, kind, storage = m.groups()
        cm = VALUE_CAMEL_RE.search(value)
        out.append(
            {
                "name": tfname,
                "camel": cm.group(1) if cm else None,
                "is_block": is_block == "true",
                "kind": kind,
                "storage": storage,
            }
        )
    return out


def storage_type(kind, storage):
    """cty type (JSON form) of a non-complex attribute."""
    if storage in PRIM:
        return PRIM[storage]
    m = re.fullmatch(r"(string|number|boolean|any)(List|Map)(List|Map)?", storage)
    if not m:
        raise ValueError(f"unknown storage class {storage!r}")
    elem = PRIM[m.group(1)]
    inner, outer = m.group(2), m.group(3)
    if outer is None:
        coll = {"List": "list", "Map": "map"}[inner]
        if coll == "list" and kind == "set":
            coll = "set"
        return [coll, elem]
    inner_t = [{"List": "list", "Map": "map"}[inner], elem]
    coll = {"List": "list", "Map": "map"}[outer]
    if coll == "list" and kind == "set":
        coll = "set"
    return [coll, inner_t]


class Converter:
    def __init__(self, types):
        self.types = types
        self.current = None
        self.sdk = False
        self.stats = {"nested_attributes": 0, "attributes_as_blocks": 0, "blocks": 0, "computed_only": 0, "dropped": []}

    # -- jsii helpers -------------------------------------------------------
    def jsii_props(self, fqn):
        t = self.types.get(fqn)
        if not t:
            return {}
        return {p["name"]: p for p in t.get("properties", [])}

    @staticmethod
    def is_block_doc(prop, tfname):
        docs = prop.get("docs", {}) if prop else {}
        summary = (docs.get("summary") or "").strip()
        return summary == f"{tfname} block." or summary.endswith(f"{tfname} block.")

    @staticmethod
    def jsii_is_array(prop):
        """Is the jsii type of a complex property an array (vs one struct)?"""
        if not prop:
            return True
        t = prop["type"]
        for u in t.get("union", {}).get("types", [t]):
            if "collection" in u:
                return True
        return False

    # -- getters -----------------------------------------------------------
    def getter_type(self, mod, cls, expr):
        """(tfname, cty type) of a getter's return expression, or None."""
        m = ATTR_CALL_RE.match(expr)
        if m:
            _, tolist, fn, tfname = m.groups()
            ty = GETTER_TYPES.get(fn)
            if ty is None:
                return None
            if tolist and isinstance(ty, list) and ty[0] == "list":
                ty = ["set", ty[1]]
            return tfname, ty
        m = re.fullmatch(r"this\._(\w+)", expr)
        if m and m.group(1) in cls["fields"]:
            klass, tfname, wraps_set = cls["fields"][m.group(1)]
            if klass in CDKTN_FIELD_TYPES:
                return tfname, CDKTN_FIELD_TYPES[klass]
            return tfname, self.complex_class_type(mod, klass, wraps_set)
        return None

    def complex_class_type(self, mod, klass, wraps_set, depth=0):
        c = mod.classes.get(klass)
        if c is None or depth > 20:
            return "dynamic"
        if c["base"] == "cdktn.ComplexList":
            return ["set" if wraps_set else "list", self.object_type(mod, c["elem"], depth)]
        if c["base"] == "cdktn.ComplexMap":
            return ["map", self.object_type(mod, c["elem"], depth)]
        if c["base"] == "cdktn.ComplexObject":
            return self.object_type(mod, klass, depth)
        return "dynamic"

    def object_type(self, mod, klass, depth):
        c = mod.classes.get(klass)
        if c is None:
            return "dynamic"
        attrs = {}
        for _, expr in sorted(c["getters"].items()):
            r = self.getter_type(mod, c, expr) if depth < 20 else None
            if r:
                attrs[r[0]] = r[1]
        return ["object", attrs]

    # -- blocks ------------------------------------------------------------
    def block(self, mod, entries, props, out_cls, reserved=()):
        """Schema block from config entries + jsii props + the output class (for computed)."""
        attributes, block_types = {}, {}
        seen = set()
        for e in entries:
            name = e["name"]
            if name in reserved:
                continue
            seen.add(name)
            prop = props.get(e["camel"]) if e["camel"] else None
            required = bool(prop) and not prop.get("optional", False)
            if not e["is_block"]:
                if e["storage"] == "any" and self.is_block_doc(prop, name):
                    # cdktn cut a deeply recursive block (wafv2 statements, quicksight
                    # definitions) down to `any`; its real shape is unknown here.
                    self.stats["dropped"].append(f"{self.current}.{name}")
                    continue
                ty = storage_type(e["kind"], e["storage"])
                attributes[name] = _flags({"type": ty}, required)
                continue
            struct_name = e["storage"]
            if e["kind"] in ("list", "set") and struct_name.endswith("List"):
                struct_name = struct_name[: -len("List")]
            elif e["kind"] == "map" and struct_name.endswith("Map"):
                struct_name = struct_name[: -len("Map")]
            sub_entries = mod.structs.get(struct_name, [])
            sub_fqn = self.struct_fqn(mod, struct_name, prop)
            sub_props = self.jsii_props(sub_fqn) if sub_fqn else {}
            sub_out = mod.classes.get(struct_name + "OutputReference")
            inner = self.block(mod, sub_entries, sub_props, sub_out)
            if name == "timeouts" or self.is_block_doc(prop, name):
                self.stats["blocks"] += 1
                if e["kind"] == "struct":
                    bt = {"nesting_mode": "single", "block": inner}
                    if required:
                        bt["min_items"] = 1
                        bt["max_items"] = 1
                elif e["kind"] == "map":
                    bt = {"nesting_mode": "map", "block": inner}
                else:
                    bt = {"nesting_mode": e["kind"], "block": inner}
                    if required:
                        bt["min_items"] = 1
                    if not self.jsii_is_array(prop):
                        bt["max_items"] = 1
                block_types[name] = bt
            elif self.sdk and e["kind"] in ("list", "set"):
                # An SDKv2 attribute in "attributes as blocks" mode (aws_security_group
                # ingress, aws_route_table route, ...): a list/set of objects, which
                # Terraform also accepts in block syntax.
                self.stats["attributes_as_blocks"] += 1
                attributes[name] = _flags({"type": [e["kind"], _object_type(inner)]}, required)
            else:
                # A framework nested attribute: `name = { ... }` / `name = [{ ... }]`.
                self.stats["nested_attributes"] += 1
                mode = {"struct": "single"}.get(e["kind"], e["kind"])
                nested = {"attributes": _blocks_as_attributes(inner), "nesting_mode": mode}
                attributes[name] = _flags({"nested_type": nested}, required)
        if out_cls is not None:
            for _, expr in sorted(out_cls["getters"].items()):
                r = self.getter_type(mod, out_cls, expr)
                if not r:
                    continue
                tfname, ty = r
                if tfname in seen or tfname in attributes or tfname in block_types or tfname in reserved:
                    continue
                self.stats["computed_only"] += 1
                attributes[tfname] = {"type": ty, "computed": True}
        blk = {}
        if attributes:
            blk["attributes"] = dict(sorted(attributes.items()))
        if block_types:
            blk["block_types"] = dict(sorted(block_types.items()))
        return blk

    def struct_fqn(self, mod, struct_name, prop):
        if prop:
            t = prop["type"]
            for u in t.get("union", {}).get("types", [t]):
                if "fqn" in u and u["fqn"].endswith("." + struct_name):
                    return u["fqn"]
                coll = u.get("collection")
                if coll and coll["elementtype"].get("fqn", "").endswith("." + struct_name):
                    return coll["elementtype"]["fqn"]
        return mod.namespace_prefix + struct_name if mod.namespace_prefix else None


def _flags(attr, required):
    if required:
        attr["required"] = True
    else:
        attr["optional"] = True
        attr["computed"] = True
    return attr


def _object_type(blk):
    """The cty object type of a block's value."""
    attrs = {}
    for name, a in blk.get("attributes", {}).items():
        if "nested_type" in a:
            nt = a["nested_type"]
            obj = _object_type({"attributes": nt["attributes"]})
            attrs[name] = obj if nt["nesting_mode"] == "single" else [nt["nesting_mode"], obj]
        else:
            attrs[name] = a["type"]
    for name, bt in blk.get("block_types", {}).items():
        obj = _object_type(bt["block"])
        attrs[name] = obj if bt["nesting_mode"] == "single" else [bt["nesting_mode"], obj]
    return ["object", dict(sorted(attrs.items()))]


def _blocks_as_attributes(blk):
    """Inside a nested attribute everything is an attribute."""
    attrs = dict(blk.get("attributes", {}))
    for name, bt in blk.get("block_types", {}).items():
        mode = bt["nesting_mode"]
        nested = {"attributes": _blocks_as_attributes(bt["block"]), "nesting_mode": mode}
        a = {"nested_type": nested}
        attrs[name] = _flags(a, bt.get("min_items", 0) > 0)
    return dict(sorted(attrs.items()))


def convert(wheel_path):
    with zipfile.ZipFile(wheel_path) as z:
        names = [n for n in z.namelist() if n.endswith(".jsii.tgz")]
        if len(names) != 1:
            raise SystemExit(f"expected one .jsii.tgz in {wheel_path}, found {names}")
        tgz = z.read(names[0])
    types = None
    modules = []
    with tarfile.open(fileobj=io.BytesIO(tgz)) as tar:
        for member in tar:
            if member.name == "package/.jsii":
                asm = json.load(tar.extractfile(member))
                types = asm["types"]
                version = asm["version"]
                del asm
            elif member.name.startswith("package/lib/") and member.name.endswith("/index.js"):
                text = tar.extractfile(member).read().decode()
                if "extends cdktn.Terraform" not in text:
                    continue
                modules.append(Module(text))
    if types is None:
        raise SystemExit("no package/.jsii in the assembly")
    conv = Converter(types)
    provider_block = None
    resources, data_sources = {}, {}
    for mod in modules:
        mod.namespace_prefix = None
        tops = [(n, c) for n, c in mod.classes.items() if c["base"] in (
            "cdktn.TerraformResource", "cdktn.TerraformDataSource", "cdktn.TerraformProvider")]
        for name, c in tops:
            if c["fqn"]:
                mod.namespace_prefix = c["fqn"][: -len(name)]
            props = conv.jsii_props(c["fqn"] + "Config") if c["fqn"] else {}
            conv.current = c["tftype"] or name
            # SDKv2 resources and data sources have a configurable `id`; framework ones do not.
            conv.sdk = any(e["name"] == "id" and not e["is_block"] for e in c["entries"])
            if c["base"] == "cdktn.TerraformProvider":
                provider_block = conv.block(mod, c["entries"], props, None, reserved=PROVIDER_RESERVED)
                continue
            blk = conv.block(mod, c["entries"], props, c)
            blk.setdefault("attributes", {})
            if "id" not in blk["attributes"]:
                blk["attributes"]["id"] = {"type": "string", "computed": True}
                blk["attributes"] = dict(sorted(blk["attributes"].items()))
            target = resources if c["base"] == "cdktn.TerraformResource" else data_sources
            target[c["tftype"]] = {"version": 0, "block": blk}
    del types
    schema = {
        "format_version": "1.0",
        "provider_schemas": {
            PROVIDER_ADDR: {
                "provider": {"version": 0, "block": provider_block or {}},
                "resource_schemas": dict(sorted(resources.items())),
                "data_source_schemas": dict(sorted(data_sources.items())),
            }
        },
        "_source": {"cdktn_provider_aws": version, **conv.stats},
    }
    return schema


def main(argv):
    if len(argv) != 3:
        raise SystemExit(__doc__)
    schema = convert(argv[1])
    ps = schema["provider_schemas"][PROVIDER_ADDR]
    st = schema["_source"]
    print(
        f"schema: {len(ps['resource_schemas'])} resources, {len(ps['data_source_schemas'])} data sources, "
        f"{st['blocks']} blocks, {st['nested_attributes']} nested attributes, "
        f"{st['attributes_as_blocks']} attributes as blocks, "
        f"{st['computed_only']} computed-only attributes",
        file=sys.stderr,
    )
    with open(argv[2], "w") as f:
        json.dump(schema, f, sort_keys=False, separators=(",", ":"))


if __name__ == "__main__":
    main(sys.argv)
