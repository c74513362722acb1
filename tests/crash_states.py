"""Power cuts, one step beyond SIGKILL: the states an install can leave on the disk.

In the spirit of ALICE (Pillai et al., "All File Systems Are Not Created Equal", OSDI
2014). ``record_install`` runs a real ``install`` with ``firmware.durable``
recording every operation on the state directory (the expander writes its ``.fps``
files itself: the installer reports them with ``durable.record_written``), and checks that replaying
the record onto the state before the install gives exactly the state after it, so an
unrecorded write fails loudly instead of going unexplored.

``crash_states`` then builds what a power cut after each operation could leave. The
model is POSIX with atomic renames and nothing more (more pessimistic than ext4
``data=ordered``, which commits metadata in order):

- a file's content is durable once the file is fsynced; before that the disk holds its
  last durable content, half of the bytes written since, or all of them;
- a directory entry (create, mkdir, symlink, rename, unlink) is durable once its
  directory is fsynced (a rename: both directories); before that it may be there or not,
  independently of the other unsynced entries (any subset, applied in program order; an
  operation whose source did not survive does nothing); a rename is never half done;
- an fsync of a file does not make its directory entry durable.

Each state is materialised as a real directory, for the kiosk to recover from
(``check_recovers``). Where a crash point has more states than ``per_point``, a seeded
sample is taken; identical states are tried once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from firmware import durable
from firmware.durable import Op
from firmware.update import audit_entries, install, installed
from firmware.update.layout import CURRENT, LIST, LOCK, PREVIOUS, STAGING_PREFIX, StateLayout


@dataclass(frozen=True)
class Symlink:
    target: str


# an inode: a directory (name -> inode), a file's bytes, or a symlink
Node = dict[str, int] | bytes | Symlink
ROOT = 0
# the install's lock file: created empty by ``open(..., "a")``, holds nothing to recover
IGNORED = frozenset({LOCK})


@dataclass(frozen=True)
class Step:
    """An operation resolved to inodes: 'link' (``node`` as ``name`` in ``dir``), 'rename'
    (``dir``/``name`` -> ``dir2``/``name2``), 'unlink', 'data' (``node`` now holds
    ``content``) or 'fsync' (``node``)."""

    kind: str
    what: str
    dir: int = -1
    name: str = ""
    node: int = -1
    dir2: int = -1
    name2: str = ""
    content: bytes = b""

    def dirs(self) -> tuple[int, ...]:
        return (self.dir, self.dir2) if self.kind == "rename" else (self.dir,)


class Tree:
    """A state directory as inodes, so a renamed directory keeps its entries."""

    def __init__(self, nodes: dict[int, Node]) -> None:
        self.nodes = nodes

    @classmethod
    def read(cls, root: Path) -> Tree:
        nodes: dict[int, Node] = {}

        def walk(path: Path) -> int:
            i = len(nodes)
            if path.is_symlink():
                nodes[i] = Symlink(os.readlink(path))
            elif path.is_dir():
                entries: dict[str, int] = {}
                nodes[i] = entries
                for child in sorted(path.iterdir()):
                    if path != root or child.name not in IGNORED:
                        entries[child.name] = walk(child)
            else:
                nodes[i] = path.read_bytes()
            return i

        walk(root)
        return cls(nodes)

    def copy(self) -> Tree:
        return Tree({i: dict(n) if isinstance(n, dict) else n for i, n in self.nodes.items()})

    def entries(self, i: int) -> dict[str, int]:
        node = self.nodes[i]
        assert isinstance(node, dict), f"inode {i} is not a directory"
        return node

    def lookup(self, parts: tuple[str, ...]) -> int | None:
        i = ROOT
        for part in parts:
            found = self.entries(i).get(part)
            if found is None:
                return None
            i = found
        return i

    def reachable(self) -> Iterator[tuple[str, Node]]:
        """(relative path, node) from the root, sorted: what is on the disk after a reboot."""
        stack = [("", ROOT)]
        while stack:
            path, i = stack.pop()
            node = self.nodes[i]
            yield path, node
            if isinstance(node, dict):
                stack.extend((f"{path}/{name}" if path else name, child)
                             for name, child in sorted(node.items(), reverse=True))

    def fingerprint(self, garbage: bool = True) -> str:
        """Identifies the state; without ``garbage``, the content of list directories neither
        ``current`` nor ``previous`` points at is left out (the kiosk never reads them)."""
        skip = () if garbage else self._garbage()
        h = hashlib.sha256()
        for path, node in self.reachable():
            if any(path.startswith(g + "/") for g in skip):
                continue
            if isinstance(node, dict):
                h.update(f"d {path}\0".encode())
            elif isinstance(node, Symlink):
                h.update(f"l {path} {node.target}\0".encode())
            else:
                h.update(f"f {path} {_digest(node)}\0".encode())
        return h.hexdigest()

    def _garbage(self) -> list[str]:
        lists = self.lookup((LIST,))
        if lists is None:
            return []
        entries = self.entries(lists)
        used = {CURRENT, PREVIOUS}
        for name in (CURRENT, PREVIOUS):
            link = self.nodes[entries[name]] if name in entries else None
            if isinstance(link, Symlink):
                used.add(link.target)
        return [f"{LIST}/{name}" for name in entries if name not in used]

    def materialise(self, dest: Path) -> None:
        for path, node in self.reachable():
            target = dest / path if path else dest
            if isinstance(node, dict):
                target.mkdir(exist_ok=not path)
            elif isinstance(node, Symlink):
                os.symlink(node.target, target)
            else:
                target.write_bytes(node)


_digests: dict[int, tuple[bytes, str]] = {}


def _digest(data: bytes) -> str:
    """sha256 of a file's content, once per bytes object (contents are shared between states)."""
    hit = _digests.get(id(data))
    if hit is None or hit[0] is not data:
        hit = (data, hashlib.sha256(data).hexdigest())
        _digests[id(data)] = hit
    return hit[1]


@dataclass
class Recording:
    """An install's operations on a state directory, resolved against the state before it."""

    root: Path
    before: Tree
    steps: list[Step] = field(default_factory=list)
    new_nodes: dict[int, Node] = field(default_factory=dict)  # inodes created, as created

    def __post_init__(self) -> None:
        self._live = self.before.copy()

    def _parts(self, path: Path) -> tuple[str, ...]:
        try:
            return Path(path).relative_to(self.root).parts
        except ValueError:
            raise AssertionError(f"{path} is outside the state directory {self.root}") from None

    def _parent(self, path: Path) -> tuple[int, str]:
        parts = self._parts(path)
        d = self._live.lookup(parts[:-1])
        assert d is not None, f"no directory for {path}"
        return d, parts[-1]

    def _node(self, path: Path) -> int:
        i = self._live.lookup(self._parts(path))
        assert i is not None, f"{path} does not exist"
        return i

    def _create(self, path: Path, node: Node, what: str) -> int:
        d, name = self._parent(path)
        i = len(self._live.nodes)
        self._live.nodes[i] = node
        self.new_nodes[i] = dict(node) if isinstance(node, dict) else node
        self._add(Step("link", what, dir=d, name=name, node=i))
        return i

    def _add(self, step: Step) -> None:
        self.steps.append(step)
        apply(self._live, step)

    def __call__(self, op: Op) -> None:
        what = f"{op.kind} {self._relative(op.path)}" + (f" -> {self._relative(op.dest)}" if op.dest else "")
        if op.kind in ("write", "append"):
            d, name = self._parent(op.path)
            i = self._live.entries(d).get(name)
            if i is None:
                i = self._create(op.path, b"", what)
            old = self._live.nodes[i]
            assert isinstance(old, bytes)
            self._add(Step("data", what, node=i, content=old + op.data if op.kind == "append" else op.data))
        elif op.kind == "fsync":
            self._add(Step("fsync", what, node=self._node(op.path)))
        elif op.kind == "mkdir":
            self._create(op.path, {}, what)
        elif op.kind == "symlink":
            self._create(op.path, Symlink(op.target), what)
        elif op.kind == "rename":
            assert op.dest is not None
            d, name = self._parent(op.path)
            d2, name2 = self._parent(op.dest)
            self._add(Step("rename", what, dir=d, name=name, dir2=d2, name2=name2))
        elif op.kind == "unlink":
            d, name = self._parent(op.path)
            self._add(Step("unlink", what, dir=d, name=name))
        else:
            raise AssertionError(f"unknown operation {op.kind}")

    def _relative(self, path: Path | None) -> str:
        return "/".join(self._parts(path)) if path is not None else ""

    def check_complete(self) -> None:
        """The record replayed in full is the state on disk: nothing was written unrecorded."""
        on_disk = Tree.read(self.root)
        assert self._live.fingerprint() == on_disk.fingerprint(), (
            "the install changed the state directory in ways the record does not show: "
            + ", ".join(sorted(set(_paths(on_disk)) ^ set(_paths(self._live)))) or "(file contents differ)")


def _paths(tree: Tree) -> list[str]:
    return [f"{path}:{_digest(node) if isinstance(node, bytes) else node}" for path, node in tree.reachable()
            if not isinstance(node, dict)]


def apply(tree: Tree, step: Step) -> None:
    """One step onto ``tree``; an entry operation whose source is gone does nothing."""
    if step.kind == "link":
        tree.entries(step.dir)[step.name] = step.node
    elif step.kind == "rename":
        src = tree.entries(step.dir)
        if step.name in src:
            tree.entries(step.dir2)[step.name2] = src.pop(step.name)
    elif step.kind == "unlink":
        tree.entries(step.dir).pop(step.name, None)
    elif step.kind == "data":
        tree.nodes[step.node] = step.content


def record_install(state: Path, repo: Path, now: dt.date) -> Recording:
    """Runs ``install(state, repo, now)`` and records what it did to ``state``."""
    rec = Recording(state, Tree.read(state))
    with durable.recording(rec):
        install(state, repo, now=now)
    rec.check_complete()
    return rec


@dataclass
class CrashState:
    """What a power cut after ``after`` steps left: ``persisted`` names the unsynced
    operations that reached the disk anyway, ``lost`` those that did not."""

    after: int
    tree: Tree
    persisted: list[str]
    lost: list[str]

    def describe(self, rec: Recording) -> str:
        done = "; ".join(s.what for s in rec.steps[:self.after] if s.kind != "data" or "append" in s.what)
        return (f"power cut after step {self.after} ({rec.steps[self.after - 1].what if self.after else 'none'}); "
                f"steps: {done}; unsynced but on disk: {self.persisted or 'none'}; lost: {self.lost or 'none'}")


def crash_states(rec: Recording, per_point: int = 64, seed: int = 12) -> Iterator[CrashState]:
    """Every distinct state a power cut after each step could leave (sampled past ``per_point``)."""
    rng = random.Random(seed)
    steps = rec.steps
    fsyncs: dict[int, list[int]] = {}
    for j, s in enumerate(steps):
        if s.kind == "fsync":
            fsyncs.setdefault(s.node, []).append(j)

    def durable_by(i: int, node: int, k: int) -> bool:
        return any(i < j < k for j in fsyncs.get(node, ()))

    seen: set[str] = set()
    for k in range(len(steps) + 1):
        sure: list[int] = []
        pending: list[int] = []
        for i, s in enumerate(steps[:k]):
            if s.kind in ("link", "rename", "unlink"):
                (sure if all(durable_by(i, d, k) for d in s.dirs()) else pending).append(i)
        data: dict[int, list[bytes]] = {}  # inode -> contents it may hold, the durable one first
        labels: dict[int, str] = {}
        for i, s in enumerate(steps[:k]):
            if s.kind != "data":
                continue
            if durable_by(i, s.node, k):
                data[s.node] = [s.content]
                labels.pop(s.node, None)
            else:
                old = data.get(s.node, [_base_content(rec, s.node)])[0]
                added = s.content[len(old):] if s.content.startswith(old) else s.content
                head = old if s.content.startswith(old) else b""
                data[s.node] = [old, head + added[:len(added) // 2], s.content]
                labels[s.node] = s.what
        choices: list[list[object]] = [[False, True] for _ in pending]
        choices += [list(range(len(v))) if v[0] != v[-1] else [0] for v in data.values()]
        total = 1
        for c in choices:
            total *= len(c)
        combos: Iterator[tuple[object, ...]] | list[tuple[object, ...]]
        if total <= per_point:
            combos = itertools.product(*choices)
        else:
            combos = [tuple(c[0] for c in choices), tuple(c[-1] for c in choices)]
            combos += [tuple(rng.choice(c) for c in choices) for _ in range(per_point - 2)]
        for combo in combos:
            kept = set(sure) | {i for i, keep in zip(pending, combo, strict=False) if keep}
            tree = rec.before.copy()
            for i, new in rec.new_nodes.items():
                tree.nodes.setdefault(i, dict(new) if isinstance(new, dict) else new)
            for i in sorted(kept):
                apply(tree, steps[i])
            picks = combo[len(pending):]
            persisted = [steps[i].what for i in pending if i in kept]
            lost = [steps[i].what for i in pending if i not in kept]
            for (inode, contents), pick in zip(data.items(), picks, strict=True):
                assert isinstance(pick, int)
                tree.nodes[inode] = contents[pick]
                if inode in labels and pick:
                    persisted.append(f"{'half of ' if pick == 1 else ''}{labels[inode]} (unsynced data)")
                elif inode in labels:
                    lost.append(f"{labels[inode]} (unsynced data)")
            fingerprint = tree.fingerprint()
            if fingerprint not in seen:
                seen.add(fingerprint)
                yield CrashState(k, tree, persisted, lost)


def _base_content(rec: Recording, node: int) -> bytes:
    content = rec.before.nodes.get(node, rec.new_nodes.get(node, b""))
    assert isinstance(content, bytes)
    return content


def sample(states: list[CrashState], limit: int, seed: int = 12) -> list[CrashState]:
    """At most ``limit`` of ``states``: first one of each state the kiosk can see (states that
    differ only in unused list directories, e.g. which staged files survived, look the same
    to it), then a seeded sample of the rest; in crash-point order."""
    if len(states) <= limit:
        return states
    rng = random.Random(seed)
    first: dict[str, int] = {}
    for n, cut in enumerate(states):
        first.setdefault(cut.tree.fingerprint(garbage=False), n)
    chosen = sorted(first.values())
    if len(chosen) > limit:
        chosen = sorted(rng.sample(chosen, limit))
    rest = sorted(set(range(len(states))) - set(chosen))
    chosen += rng.sample(rest, min(len(rest), limit - len(chosen)))
    return [states[n] for n in sorted(chosen)]


def check_recovers(state: Path, repo: Path, now: dt.date, old: int | None, new: int,
                   audit_before: list[dict[str, object]]) -> None:
    """Raises AssertionError unless the kiosk finds the old or the new list, verified, the audit
    log still holds every entry written before the install, and the next install completes."""
    entries = audit_entries(state, limit=1 << 20)
    assert entries[:len(audit_before)] == audit_before, "audit entries from before the install were lost"
    with installed(state, now=now, verify_hashes=True) as inst:
        assert inst.list_version in (old, new), f"found list {inst.list_version}: {inst.code} {inst.reason}"
        assert (inst.banlist is not None) == (inst.list_version is not None), inst.reason
        assert inst.warning is None, inst.warning
    assert install(state, repo, now=now).list_version == new, "the next install did not install the new list"
    with installed(state, now=now, verify_hashes=True) as inst:
        assert inst.list_version == new and inst.banlist is not None, inst.reason
    entries = audit_entries(state, limit=1 << 20)
    assert entries[:len(audit_before)] == audit_before, "audit entries from before the install were lost"
    last = entries[-1] if entries else {}
    assert last.get("action") == "install" and last.get("to_version") == new, \
        f"the recovery's audit entry is not readable (last entry: {last})"
    layout = StateLayout(state)
    assert not [p for p in layout.list_dir.iterdir() if p.name.startswith(STAGING_PREFIX)], "staging left over"
