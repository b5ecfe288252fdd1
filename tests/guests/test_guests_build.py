"""Build checks of the test guests: each ELF carries the Xen notes a PV domain builder needs
and is linked so that VA = 0xffffffff80000000 + pseudo-physical address; lower_half, without
the VIRT_BASE and PADDR_OFFSET notes, at VA = pseudo-physical address from 1 MiB."""
import os
import re
import struct
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
VIRT_BASE = 0xFFFFFFFF80000000
HV_START, HV_END = 0xFFFF800000000000, 0xFFFF880000000000

# XEN_ELFNOTE_* (hypervisor/include/public/elfnote.h)
ENTRY, HYPERCALL_PAGE, VIRT_BASE_NOTE, PADDR_OFFSET = 1, 2, 3, 4
XEN_VERSION, GUEST_OS, GUEST_VERSION, LOADER, PAE_MODE, FEATURES = 5, 6, 7, 8, 9, 10
NUMERIC = {ENTRY, HYPERCALL_PAGE, VIRT_BASE_NOTE, PADDR_OFFSET}

# readelf names some note types after their meaning for other owners.
READELF_TYPE_NAMES = {"NT_VERSION (version)": 1, "NT_ARCH (architecture)": 2, "GO BUILDID": 4}

GUESTS = sorted(d for d in os.listdir(HERE) if os.path.isfile(os.path.join(HERE, d, "main.c")))
LOWER_HALF = "lower_half"  # linked by common/guest_low.ld


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60).stdout


def readelf_notes(path):
    """Xen notes as {type: bytes}, parsed from `readelf -n -W`."""
    notes = {}
    for line in run("readelf", "-n", "-W", path).splitlines():
        m = re.match(r"\s*Xen\s+0x([0-9a-f]+)\s+(.*?)\s+description data:\s*([0-9a-f ]*)$", line)
        if not m:
            continue
        kind = m.group(2).strip()
        u = re.match(r"Unknown note type: \((0x[0-9a-f]+)\)", kind)
        if u:
            ntype = int(u.group(1), 16)
        elif kind in READELF_TYPE_NAMES:
            ntype = READELF_TYPE_NAMES[kind]
        else:
            pytest.fail(f"{path}: unrecognised readelf note line: {line!r}")
        data = bytes.fromhex(m.group(3).replace(" ", ""))
        assert len(data) == int(m.group(1), 16), line
        assert ntype not in notes, f"duplicate Xen note type {ntype}"
        notes[ntype] = data
    return notes


def raw_notes(path):
    """Independent parse of the PT_NOTE segments straight from the file."""
    with open(path, "rb") as f:
        elf = f.read()
    assert elf[:4] == b"\x7fELF" and elf[4] == 2 and elf[5] == 1, "not ELF64 little-endian"
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    notes = {}
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", elf, phoff + i * phentsize)
        if p_type != 4:
            continue
        pos, end = p_offset, p_offset + p_filesz
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12:pos + 12 + namesz]
            desc_at = pos + 12 + ((namesz + 3) & ~3)
            if name == b"Xen\0":
                notes[ntype] = elf[desc_at:desc_at + descsz]
            pos = desc_at + ((descsz + 3) & ~3)
    return notes


def program_headers(path):
    """(type, vaddr, paddr, memsz, flags) for each program header, from `readelf -l -W`."""
    phdrs = []
    for line in run("readelf", "-l", "-W", path).splitlines():
        f = line.split()
        if len(f) >= 8 and f[0] in ("LOAD", "NOTE") and f[1].startswith("0x"):
            phdrs.append((f[0], int(f[2], 16), int(f[3], 16), int(f[5], 16), " ".join(f[6:-1])))
    return phdrs


def symbols(path):
    out = {}
    for line in run("nm", path).splitlines():
        f = line.split()
        if len(f) == 3:
            out[f[2]] = int(f[0], 16)
    return out


def entry_point(path):
    m = re.search(r"Entry point address:\s+(0x[0-9a-f]+)", run("readelf", "-h", "-W", path))
    return int(m.group(1), 16)


def string_note(data):
    assert data.endswith(b"\0"), f"string note not NUL-terminated: {data!r}"
    return data[:-1].decode()


def numeric_note(data):
    assert len(data) == 8, f"numeric note of {len(data)} bytes"
    return struct.unpack("<Q", data)[0]


@pytest.fixture(params=GUESTS)
def guest(request, build_dir):
    path = os.path.join(build_dir, "tests", "guests", request.param + ".elf")
    assert os.path.isfile(path), f"{path} not built (make -C tests/guests)"
    return path


def test_guest_list_is_complete():
    for name in ("hello", "version", "start_info", "bad_hypercall", "hostile_hvmem"):
        assert name in GUESTS


def test_notes_readelf_matches_raw(guest):
    assert readelf_notes(guest) == raw_notes(guest)


def is_lower_half(path):
    return os.path.basename(path) == LOWER_HALF + ".elf"


def test_xen_notes(guest):
    notes = readelf_notes(guest)
    low = is_lower_half(guest)
    for t in (ENTRY, HYPERCALL_PAGE, VIRT_BASE_NOTE, PADDR_OFFSET, XEN_VERSION, GUEST_OS,
              GUEST_VERSION, LOADER, PAE_MODE, FEATURES):
        if low and t in (VIRT_BASE_NOTE, PADDR_OFFSET):
            assert t not in notes, f"Xen note type {t} in a lower-half guest"
            continue
        assert t in notes, f"Xen note type {t} missing"
    assert string_note(notes[XEN_VERSION]) == "xen-3.0"
    assert string_note(notes[GUEST_OS]) == "Tern-test"
    assert string_note(notes[LOADER]) == "generic"
    assert string_note(notes[PAE_MODE]) == "yes"
    features = string_note(notes[FEATURES]).split("|")
    assert "!writable_page_tables" in features
    if not low:
        assert numeric_note(notes[VIRT_BASE_NOTE]) == VIRT_BASE
        assert numeric_note(notes[PADDR_OFFSET]) == 0


def test_entry_and_hypercall_page(guest):
    notes, syms = readelf_notes(guest), symbols(guest)
    entry = numeric_note(notes[ENTRY])
    page = numeric_note(notes[HYPERCALL_PAGE])
    assert entry == syms["_start"] == entry_point(guest)
    assert page == syms["hypercall_page"]
    assert page % 4096 == 0
    text = [p for p in program_headers(guest) if p[0] == "LOAD" and "E" in p[4]]
    assert len(text) == 1
    _, vaddr, _, memsz, _ = text[0]
    assert vaddr <= entry < vaddr + memsz
    assert vaddr <= page and page + 4096 <= vaddr + memsz


def test_linked_at_virt_base(guest):
    phdrs = program_headers(guest)
    loads = [p for p in phdrs if p[0] == "LOAD"]
    base = 0 if is_lower_half(guest) else VIRT_BASE
    assert loads and any(p[0] == "NOTE" for p in phdrs)
    for _, vaddr, paddr, memsz, _ in loads:
        assert vaddr % 4096 == 0
        assert vaddr == base + paddr, "VA must be virt_base + pseudo-physical address"
        assert base <= vaddr and vaddr + memsz <= base + (1 << 30)
        assert not (HV_START <= vaddr < HV_END)
    if base == 0:
        assert min(p[1] for p in loads) == 1 << 20  # linked at 1 MiB


def test_guest_defines_title_and_name(guest):
    syms = symbols(guest)
    for name in ("test_title", "test_name", "test_main", "guest_start"):
        assert name in syms, f"{name} missing"


def test_abi_headers_checked(build_dir):
    # The build compiles every ABI header freestanding, in hypervisor mode and as host C11.
    for stamp in ("freestanding.ok", "hypervisor.ok", "host-c11.ok"):
        assert os.path.isfile(os.path.join(build_dir, "tests", "guests", "abi", stamp)), stamp


def test_guest_vsnprintf_matches_libc(build_dir):
    exe = os.path.join(build_dir, "tests", "guests", "host", "vsnprintf_check")
    r = subprocess.run([exe], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"vsnprintf: \d+ cases, 0 mismatches", r.stdout)
