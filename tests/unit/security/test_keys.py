"""Key material: the KEK ring, key files, environment overrides and the registry."""

import base64
import json
import re
import secrets
import stat

import pytest

from portal.security import keys
from portal.security.errors import KeyConfigError, KeyNotFound
from portal.security.keys import KeyMaterial, KeyRing, derive_key, init_keys, load_keys, save_ring


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.fixture
def keys_dir(tmp_path):
    return tmp_path / "instance" / "keys"


# --- ring ------------------------------------------------------------------


def test_ring_active_and_get():
    ring = KeyRing.generate()
    kid, key = ring.active()
    assert re.fullmatch(r"k[0-9a-f]{8}", kid) and len(key) == 32
    assert ring.get(kid) == key
    with pytest.raises(KeyNotFound, match="'k7'"):
        ring.get("k7")


def test_key_ids_are_random_so_a_recreated_ring_never_reuses_one():
    # A ring made again by mistake must not claim the id of the key it replaces.
    ids = {KeyRing.generate().active_id for _ in range(50)}
    assert len(ids) == 50
    ring = KeyRing.generate().with_new_active_key().with_new_active_key()
    assert len(ring.keys) == 3 and ring.active_id in ring.keys


def test_rotation_keeps_old_keys_and_makes_new_ones_random():
    ring = KeyRing.generate()
    first = ring.active_id
    rotated = ring.with_new_active_key()
    assert rotated.get(first) == ring.get(first)
    assert rotated.active_id != first
    assert rotated.get(rotated.active_id) != ring.get(first)
    assert ring.active_id == first  # the original is unchanged


def test_without_active_is_refused():
    ring = KeyRing.generate()
    first = ring.active_id
    ring = ring.with_new_active_key()
    with pytest.raises(KeyConfigError, match="active"):
        ring.without(ring.active_id)
    with pytest.raises(KeyNotFound):
        ring.without("k5")
    assert sorted(ring.without(first).keys) == [ring.active_id]


def test_ring_is_immutable_copy():
    source = {"k1": bytes(32)}
    ring = KeyRing(keys=source, active_id="k1")
    source["k2"] = bytes(32)
    assert list(ring.keys) == ["k1"]
    with pytest.raises(TypeError):
        ring.keys["k3"] = bytes(32)


def test_repr_hides_key_bytes():
    material = KeyMaterial(ring=KeyRing.generate(), index_root=bytes(32), secret_key="s" * 64)
    text = repr(material)
    key = material.ring.get(material.ring.active_id)
    assert b64(key) not in text
    assert "s" * 64 not in text
    assert repr(key) not in text


def test_json_round_trip():
    ring = KeyRing.generate().with_new_active_key()
    text = ring.to_json()
    body = json.loads(text)
    assert body["active"] == ring.active_id
    assert set(body["keys"]) == set(ring.keys)
    assert KeyRing.from_json(text) == ring


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"keys": {}}', '"active"'),
        ('{"active": "k1", "keys": {}}', "empty"),
        (json.dumps({"active": "k2", "keys": {"k1": b64(bytes(32))}}), "'k2' is not in"),
        (json.dumps({"active": "k1", "keys": {"k1": b64(bytes(16))}}), "not 32 bytes"),
        (json.dumps({"active": "k1", "keys": {"k1": "***"}}), "not valid base64"),
        (json.dumps({"active": "k1", "keys": {"k1": 5}}), "not base64 text"),
    ],
)
def test_from_json_validation(text, message):
    with pytest.raises(KeyConfigError, match=message) as info:
        KeyRing.from_json(text)
    assert "\n" not in str(info.value)


def test_derive_key_separates_purposes():
    root = secrets.token_bytes(32)
    a, b = derive_key(root, "a"), derive_key(root, "b")
    assert len(a) == 32 and a != b and a != root
    assert derive_key(root, "a") == a
    with pytest.raises(KeyConfigError):
        derive_key(b"short", "a")


# --- files -----------------------------------------------------------------


def test_init_keys_creates_private_files(keys_dir):
    created = init_keys(keys_dir)
    assert sorted(p.name for p in created) == ["index.key", "kek.json", "secret.key"]
    assert mode(keys_dir) == 0o700
    for path in created:
        assert mode(path) == 0o600
    assert not [p for p in keys_dir.iterdir() if p.name.startswith(".")]  # no temp files left
    material = load_keys(keys_dir, {})
    assert material.ring.active_id in material.ring.keys
    assert len(material.index_root) == 32
    assert len(material.secret_key) == 64


def test_init_keys_is_idempotent_and_never_overwrites(keys_dir):
    init_keys(keys_dir)
    before = {p.name: p.read_bytes() for p in keys_dir.iterdir()}
    assert init_keys(keys_dir) == []
    assert {p.name: p.read_bytes() for p in keys_dir.iterdir()} == before


def test_init_keys_fills_in_only_missing_files(keys_dir):
    init_keys(keys_dir)
    ring_text = (keys_dir / "kek.json").read_text()
    (keys_dir / "index.key").unlink()
    assert init_keys(keys_dir) == [keys_dir / "index.key"]
    assert (keys_dir / "kek.json").read_text() == ring_text


def test_save_ring_rewrites_atomically(keys_dir):
    init_keys(keys_dir)
    rotated = load_keys(keys_dir, {}).ring.with_new_active_key()
    save_ring(keys_dir, rotated)
    assert mode(keys_dir / "kek.json") == 0o600
    assert load_keys(keys_dir, {}).ring == rotated


@pytest.mark.parametrize("name", ["kek.json", "index.key", "secret.key"])
def test_missing_file_is_a_clear_error(keys_dir, name):
    init_keys(keys_dir)
    (keys_dir / name).unlink()
    with pytest.raises(KeyConfigError, match="flask keys init") as info:
        load_keys(keys_dir, {})
    message = str(info.value)
    assert name in message
    assert "\n" not in message


def test_empty_keys_dir_is_an_error(tmp_path):
    with pytest.raises(KeyConfigError, match="flask keys init"):
        load_keys(tmp_path / "nowhere", {})


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("kek.json", "{"),
        ("kek.json", json.dumps({"active": "k1", "keys": {"k1": b64(bytes(31))}})),
        ("index.key", "not base64!"),
        ("index.key", b64(bytes(16))),
        ("secret.key", "   \n"),
    ],
)
def test_malformed_file_is_a_clear_error(keys_dir, name, content):
    init_keys(keys_dir)
    (keys_dir / name).write_text(content)
    with pytest.raises(KeyConfigError, match="flask keys init") as info:
        load_keys(keys_dir, {})
    assert name in str(info.value)


def test_environment_overrides_files_one_by_one(keys_dir):
    init_keys(keys_dir)
    from_files = load_keys(keys_dir, {})
    ring = KeyRing.generate().with_new_active_key()
    index = secrets.token_bytes(32)

    only_ring = load_keys(keys_dir, {"PORTAL_KEK_RING": ring.to_json()})
    assert only_ring.ring == ring
    assert only_ring.index_root == from_files.index_root
    assert only_ring.secret_key == from_files.secret_key

    only_index = load_keys(keys_dir, {"PORTAL_INDEX_KEY": b64(index)})
    assert only_index.index_root == index
    assert only_index.ring == from_files.ring

    only_secret = load_keys(keys_dir, {"PORTAL_SECRET_KEY": "x" * 40})
    assert only_secret.secret_key == "x" * 40
    assert only_secret.ring == from_files.ring


def test_environment_alone_needs_no_files(tmp_path):
    env = {
        "PORTAL_KEK_RING": KeyRing.generate().to_json(),
        "PORTAL_INDEX_KEY": b64(secrets.token_bytes(32)),
        "PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
    }
    material = load_keys(tmp_path / "absent", env)
    assert material.secret_key == env["PORTAL_SECRET_KEY"]


def test_malformed_environment_names_the_variable(keys_dir):
    init_keys(keys_dir)
    with pytest.raises(KeyConfigError, match="PORTAL_KEK_RING") as info:
        load_keys(keys_dir, {"PORTAL_KEK_RING": '{"active": "k1", "keys": {"k1": "AAAA"}}'})
    assert "flask keys init" in str(info.value)
    with pytest.raises(KeyConfigError, match="PORTAL_INDEX_KEY"):
        load_keys(keys_dir, {"PORTAL_INDEX_KEY": b64(bytes(8))})


def test_error_never_echoes_key_material(keys_dir):
    init_keys(keys_dir)
    short = b64(secrets.token_bytes(31))
    with pytest.raises(KeyConfigError) as info:
        load_keys(keys_dir, {"PORTAL_INDEX_KEY": short})
    assert short not in str(info.value)


# --- registry --------------------------------------------------------------


def test_registry_install_and_current(keys_dir):
    keys.uninstall()
    with pytest.raises(KeyConfigError, match="keys are not loaded"):
        keys.current()
    init_keys(keys_dir)
    material = load_keys(keys_dir, {})
    keys.install(material)
    try:
        assert keys.current() is material
    finally:
        keys.uninstall()
