"""A FUSE file system that loses, at a power cut, everything that was never made durable.

Like Jepsen's LazyFS, every write since a file's last fsync/fdatasync lives only in this
process's memory; so do names: a create, rename or unlink is durable only once its directory
was fsynced (stricter than LazyFS, which passes renames through). What is durable lives in a
backing directory on the real disk: one file per inode and ``tree.json`` with the durable names.

    python tests/powercut/lazyfs.py BACKING MOUNTPOINT CONTROL_SOCKET

runs in the foreground until killed. Its control socket takes one command per connection:

- ``sync``: make everything durable (``close()``, ``sync(2)`` and ``syncfs`` never reach a FUSE
  file system, so a clean baseline needs this);
- ``cut FRACTION SEED``: the power cut. Each dirty page is written back with probability
  FRACTION first (a real kernel's writeback is somewhere in flight when the power goes, so a
  cut can corrupt, not only lose), then every further operation blocks until the process is
  killed. Nothing more may change between the cut and the kill.

Mounting again over the same backing directory is the reboot: only what was durable is there,
and files that were unlinked while open (libfuse's ``.fuse_hidden*``) are gone, as a real file
system reclaims its orphans at mount.

No ``lock``/``flock`` operation: without one the kernel keeps POSIX locks itself, which SQLite
needs. Keep ``direct_io`` off, or SQLite's memory-mapped ``-shm`` fails to map.
"""

from __future__ import annotations

import argparse
import ctypes.util
import errno
import json
import os
import random
import socket
import stat
import threading
import time
from pathlib import Path

# mfusepy loads libfuse 2 first when both are installed; this file system is written for 3
# (truncate without a file handle, the rename flags).
if "FUSE_LIBRARY_PATH" not in os.environ and (_LIBFUSE3 := ctypes.util.find_library("fuse3")):
    os.environ["FUSE_LIBRARY_PATH"] = _LIBFUSE3

import mfusepy  # noqa: E402  (reads FUSE_LIBRARY_PATH when imported)

PAGE = 4096
ROOT = 1
HIDDEN_PREFIX = ".fuse_hidden"


class _Node:
    """An inode: a file's current bytes and which pages differ from the durable copy, or a
    directory's current names and the names its last fsync made durable."""

    __slots__ = ("ino", "mode", "uid", "gid", "mtime_ns", "data", "dirty", "resized", "children",
                 "durable_children", "links")

    def __init__(self, ino: int, mode: int) -> None:
        self.ino = ino
        self.mode = mode
        self.uid = os.getuid()
        self.gid = os.getgid()
        self.mtime_ns = time.time_ns()
        self.data = bytearray()
        self.dirty: set[int] = set()
        self.resized = False
        self.children: dict[str, int] = {}
        self.durable_children: dict[str, int] = {}
        self.links = 0

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)


class LazyFS(mfusepy.Operations):
    use_ns = True

    def __init__(self, backing: Path) -> None:
        self._backing = backing
        self._files = backing / "files"
        self._files.mkdir(parents=True, exist_ok=True)
        # One mutex for everything: the callbacks come from libfuse's worker threads. (An
        # attribute named like a FUSE operation, "lock" above all, would become that callback.)
        self._mutex = threading.Lock()
        self._nodes: dict[int, _Node] = {}
        self._handles: dict[int, int] = {}
        self._next_handle = 1
        self._mount_durable_state()

    # --- the durable state ------------------------------------------------------------------

    def _mount_durable_state(self) -> None:
        tree_path = self._backing / "tree.json"
        tree = json.loads(tree_path.read_text()) if tree_path.exists() else {
            "modes": {str(ROOT): stat.S_IFDIR | 0o755}, "dirs": {str(ROOT): {}}}
        modes = {int(ino): mode for ino, mode in tree["modes"].items()}
        dirs = {int(ino): names for ino, names in tree["dirs"].items()}
        reachable, pending = set(), [ROOT]
        while pending:
            ino = pending.pop()
            reachable.add(ino)
            node = self._nodes[ino] = _Node(ino, modes[ino])
            if node.is_dir:
                names = {name: child for name, child in dirs.get(ino, {}).items()
                         if not name.startswith(HIDDEN_PREFIX)}
                node.children = dict(names)
                node.durable_children = dict(names)
                pending.extend(names.values())
            else:
                path = self._files / str(ino)
                node.data = bytearray(path.read_bytes()) if path.exists() else bytearray()
        for node in self._nodes.values():
            for child in node.children.values():
                self._nodes[child].links += 1
        self._nodes[ROOT].links = 1
        for path in self._files.iterdir():
            if int(path.name) not in reachable:
                path.unlink()
        self._next_ino = max(modes) + 1
        self._save_tree()

    def _save_tree(self) -> None:
        tree = {
            "modes": {ino: node.mode for ino, node in self._nodes.items()},
            "dirs": {ino: node.durable_children for ino, node in self._nodes.items() if node.is_dir},
        }
        temporary = self._backing / "tree.json.new"
        temporary.write_text(json.dumps(tree))
        os.replace(temporary, self._backing / "tree.json")

    def _write_back(self, node: _Node, pages: set[int], resize: bool) -> None:
        """Copy these pages (and the size, when ``resize``) of a file to its durable copy."""
        descriptor = os.open(self._files / str(node.ino), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for page in sorted(pages):
                chunk = node.data[page * PAGE:(page + 1) * PAGE]
                if chunk:
                    os.pwrite(descriptor, chunk, page * PAGE)
            if resize:
                os.ftruncate(descriptor, len(node.data))
        finally:
            os.close(descriptor)

    def _fsync_node(self, node: _Node) -> None:
        if node.dirty or node.resized:
            self._write_back(node, node.dirty, resize=True)
            node.dirty.clear()
            node.resized = False

    # --- the control commands ----------------------------------------------------------------

    def sync_all(self) -> dict[str, int]:
        with self._mutex:
            pages = sum(len(node.dirty) for node in self._nodes.values())
            for node in list(self._nodes.values()):
                if node.is_dir:
                    node.durable_children = dict(node.children)
                else:
                    self._fsync_node(node)
            self._collect()
            self._save_tree()
        return {"pages_written": pages}

    def cut(self, fraction: float, seed: int) -> dict[str, int]:
        rng = random.Random(seed)
        # Taken and never released: every operation after the cut waits here until the process
        # is killed, so the state the reboot finds is exactly the one left now.
        self._mutex.acquire()
        dirty = written = 0
        for node in self._nodes.values():
            if node.is_dir or not (node.dirty or node.resized):
                continue
            pages = {page for page in node.dirty if rng.random() < fraction}
            dirty += len(node.dirty)
            written += len(pages)
            resize = node.resized and rng.random() < fraction
            if pages or resize:
                self._write_back(node, pages, resize)
        return {"dirty_pages": dirty, "pages_written": written}

    # --- paths -------------------------------------------------------------------------------

    def _lookup(self, path: str) -> _Node:
        node = self._nodes[ROOT]
        for name in path.strip("/").split("/"):
            if not name:
                continue
            if not node.is_dir or name not in node.children:
                raise mfusepy.FuseOSError(errno.ENOENT)
            node = self._nodes[node.children[name]]
        return node

    def _parent(self, path: str) -> tuple[_Node, str]:
        head, _, name = path.rstrip("/").rpartition("/")
        parent = self._lookup(head or "/")
        if not parent.is_dir:
            raise mfusepy.FuseOSError(errno.ENOTDIR)
        return parent, name

    def _new_node(self, path: str, mode: int) -> _Node:
        parent, name = self._parent(path)
        if name in parent.children:
            raise mfusepy.FuseOSError(errno.EEXIST)
        node = self._nodes[self._next_ino] = _Node(self._next_ino, mode)
        self._next_ino += 1
        parent.children[name] = node.ino
        node.links = 1
        return node

    def _drop_name(self, parent: _Node, name: str) -> None:
        node = self._nodes[parent.children.pop(name)]
        node.links -= 1
        self._forget_if_unused(node)

    def _forget_if_unused(self, node: _Node) -> None:
        # Kept while a name, current or durable, or an open handle refers to it: a reboot
        # before the directory's next fsync brings an unlinked file back.
        if node.links > 0 or node.ino in self._handles.values():
            return
        if any(node.ino in other.durable_children.values()
               for other in self._nodes.values() if other.is_dir):
            return
        del self._nodes[node.ino]

    def _collect(self) -> None:
        """Forget the unlinked files whose last durable name a directory fsync just removed."""
        for node in [node for node in self._nodes.values() if node.links == 0 and node.ino != ROOT]:
            self._forget_if_unused(node)

    def _file(self, fh: int) -> _Node:
        return self._nodes[self._handles[fh]]

    # --- FUSE operations ---------------------------------------------------------------------

    def getattr(self, path, fh=None):
        with self._mutex:
            node = self._file(fh) if fh in self._handles else self._lookup(path)
            return {
                "st_mode": node.mode, "st_nlink": max(node.links, 1) + (1 if node.is_dir else 0),
                "st_size": len(node.data), "st_uid": node.uid, "st_gid": node.gid,
                "st_atime": node.mtime_ns, "st_mtime": node.mtime_ns, "st_ctime": node.mtime_ns,
                "st_blocks": (len(node.data) + 511) // 512, "st_blksize": PAGE,
            }

    def readdir(self, path, fh):
        with self._mutex:
            node = self._lookup(path)
            return [".", "..", *node.children]

    def mkdir(self, path, mode):
        with self._mutex:
            self._new_node(path, stat.S_IFDIR | mode)
        return 0

    def rmdir(self, path):
        with self._mutex:
            parent, name = self._parent(path)
            node = self._lookup(path)
            if node.children:
                raise mfusepy.FuseOSError(errno.ENOTEMPTY)
            self._drop_name(parent, name)
        return 0

    def create(self, path, mode, flags):
        with self._mutex:
            node = self._new_node(path, stat.S_IFREG | mode)
            return self._open_handle(node)

    def open(self, path, flags):
        with self._mutex:
            return self._open_handle(self._lookup(path))

    def _open_handle(self, node: _Node) -> int:
        fh = self._next_handle
        self._next_handle += 1
        self._handles[fh] = node.ino
        return fh

    def release(self, path, fh):
        with self._mutex:
            node = self._file(fh)
            del self._handles[fh]
            self._forget_if_unused(node)
        return 0

    def read(self, path, size, offset, fh):
        with self._mutex:
            return bytes(self._file(fh).data[offset:offset + size])

    def write(self, path, data, offset, fh):
        with self._mutex:
            node = self._file(fh)
            end = offset + len(data)
            start = min(offset, len(node.data))  # a write past the end also fills the gap
            if end > len(node.data):
                node.data.extend(bytes(end - len(node.data)))
                node.resized = True
            node.data[offset:end] = data
            node.dirty.update(range(start // PAGE, (end - 1) // PAGE + 1))
            node.mtime_ns = time.time_ns()
            return len(data)

    def truncate(self, path, length, fh=None):
        # libfuse 3 sends truncate with the path only, even for an open file.
        with self._mutex:
            node = self._file(fh) if fh in self._handles else self._lookup(path)
            old = len(node.data)
            if length < old:
                del node.data[length:]
            else:
                node.data.extend(bytes(length - old))
            low, high = sorted((old, length))
            node.dirty.update(range(low // PAGE, max(high - 1, low) // PAGE + 1))
            node.resized = True
            node.mtime_ns = time.time_ns()
        return 0

    def fsync(self, path, datasync, fh):
        with self._mutex:
            self._fsync_node(self._file(fh))
        return 0

    def fsyncdir(self, path, datasync, fh):
        with self._mutex:
            node = self._lookup(path)
            node.durable_children = dict(node.children)
            self._collect()
            self._save_tree()
        return 0

    def flush(self, path, fh):
        return 0  # close() promises nothing about durability

    def unlink(self, path):
        with self._mutex:
            parent, name = self._parent(path)
            self._lookup(path)
            self._drop_name(parent, name)
        return 0

    def rename(self, old, new):
        with self._mutex:
            old_parent, old_name = self._parent(old)
            node = self._lookup(old)
            new_parent, new_name = self._parent(new)
            if new_name in new_parent.children:
                if self._nodes[new_parent.children[new_name]].is_dir:
                    raise mfusepy.FuseOSError(errno.EISDIR)
                self._drop_name(new_parent, new_name)
            del old_parent.children[old_name]
            new_parent.children[new_name] = node.ino
        return 0

    def chmod(self, path, mode):
        with self._mutex:
            node = self._lookup(path)
            node.mode = stat.S_IFMT(node.mode) | stat.S_IMODE(mode)
        return 0

    def chown(self, path, uid, gid):
        with self._mutex:
            node = self._lookup(path)
            node.uid = node.uid if uid == -1 else uid
            node.gid = node.gid if gid == -1 else gid
        return 0

    def utimens(self, path, times=None):
        with self._mutex:
            self._lookup(path).mtime_ns = times[1] if times else time.time_ns()
        return 0

    def statfs(self, path):
        return {"f_bsize": PAGE, "f_frsize": PAGE, "f_blocks": 1 << 20, "f_bfree": 1 << 19,
                "f_bavail": 1 << 19, "f_files": 1 << 16, "f_ffree": 1 << 15, "f_namemax": 255}


def serve_control(filesystem: LazyFS, address: Path) -> None:
    """Answer control commands, one per connection, in a thread of its own."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    address.unlink(missing_ok=True)
    listener.bind(str(address))
    listener.listen()

    def loop() -> None:
        while True:
            connection, _ = listener.accept()
            with connection, connection.makefile("rw") as stream:
                command, *arguments = stream.readline().split()
                if command == "sync":
                    answer = filesystem.sync_all()
                elif command == "cut":
                    answer = filesystem.cut(float(arguments[0]), int(arguments[1]))
                else:
                    answer = {"error": f"unknown command {command!r}: sync or cut FRACTION SEED"}
                stream.write(json.dumps(answer) + "\n")

    threading.Thread(target=loop, name="lazyfs-control", daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("backing", type=Path, help="directory that holds what is durable")
    parser.add_argument("mountpoint", type=Path)
    parser.add_argument("control", type=Path, help="Unix socket for sync and cut")
    args = parser.parse_args()
    filesystem = LazyFS(args.backing)
    serve_control(filesystem, args.control)
    mfusepy.FUSE(filesystem, str(args.mountpoint), foreground=True, fsname="lazyfs")


if __name__ == "__main__":
    main()
