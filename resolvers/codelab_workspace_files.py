"""The files of a codelab's code-server workspace: a folder on disk, and for the
``branch`` structure a git repository in it, written with dulwich (no ``git``
binary).

Plain functions that block; ``resolvers.codelab_workspaces`` runs them in a thread
while it holds the workspace's row lock, so writes to one workspace never
interleave, on any instance.

- Paths are relative POSIX paths inside the workspace (or inside a folder or a
  branch): no ``..`` or ``.`` parts, no empty part, not absolute, no backslash, no
  control character, no ``.git`` part; at most ``PATH_MAX`` characters,
  ``DEPTH_MAX`` parts and ``PART_MAX`` bytes a part.
- On disk every folder is opened relative to its parent with ``O_NOFOLLOW``
  (``openat``), so a symbolic link anywhere on the way (one made on disk by the
  code-server user) is refused, never followed out of the workspace. Listings
  and the download leave symbolic links out.
- Sizes: a file at most ``FILE_MAX_BYTES``; a workspace at most
  ``WORKSPACE_MAX_BYTES`` and ``WORKSPACE_ENTRIES_MAX`` files on disk (what it
  holds, plus what a write adds, is checked before the write); a download at most
  ``DOWNLOAD_MAX_BYTES`` (files made on disk by other means may pass the bound).
- In a ``branch`` workspace the branch ``main`` is checked out in the folder;
  writes to a branch are commits made from the objects, never a checkout, and a
  write to the checked-out branch then resets the folder to the new commit.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import stat
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dulwich import porcelain
from dulwich.errors import NotTreeError
from dulwich.index import commit_tree
from dulwich.object_store import iter_tree_contents
from dulwich.objects import Blob, Commit
from dulwich.refs import check_ref_format
from dulwich.repo import Repo

from core.errors import Conflict, NotFound, Validation

log = logging.getLogger(__name__)

BRANCH, FOLDER = "branch", "folder"
DEFAULT_BRANCH = "main"
PATH_MAX = 512
PART_MAX = 255
DEPTH_MAX = 20
BRANCH_NAME_MAX = 100
FILE_MAX_BYTES = 1024 * 1024
WORKSPACE_MAX_BYTES = 64 * 1024 * 1024
# Files on disk, ``.git`` included (loose git objects are packed as they add up).
WORKSPACE_ENTRIES_MAX = 20_000
DOWNLOAD_MAX_BYTES = 96 * 1024 * 1024
LOOSE_OBJECTS_MAX = 500
# Files a branch or folder listing may hold (a bound on the work one request does).
TREE_FILES_MAX = 5000
BRANCHES_MAX = 500
FOLDERS_MAX = 500
IDENTITY = b"Codelab <codelab@learngraph.invalid>"
GIT_DIR = ".git"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FILE_MODE = 0o100644


@dataclass(frozen=True)
class FileWrite:
    """A checked file to write: its path and UTF-8 bytes."""

    path: str
    data: bytes


def relative_root(codelab_id: int) -> str:
    """Where a codelab's workspace is, relative to the data directory."""
    return f"workspaces/codelab_{codelab_id}"


def root_for(data_dir: Path, codelab_id: int) -> Path:
    return data_dir / relative_root(codelab_id)


# --- names ------------------------------------------------------------------------


def is_text(value: str) -> bool:
    """False for strings holding lone surrogates (which JSON can carry)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_path(value: str, *, field: str = "path", depth: int = DEPTH_MAX) -> str:
    """``value`` as a safe relative path, or Validation saying why it is refused."""
    if not isinstance(value, str) or not value:
        raise Validation(f"{field} must not be empty", details={"field": field})
    if len(value) > PATH_MAX:
        raise Validation(f"{field} must be at most {PATH_MAX} characters",
                         details={"field": field})
    if not is_text(value):
        raise Validation(f"{field} must be valid Unicode text", details={"field": field})
    if _CONTROL.search(value) or "\\" in value:
        raise Validation(f"{field} must not contain control characters or backslashes",
                         details={"field": field})
    if value.startswith("/") or re.match(r"^[A-Za-z]:", value):
        raise Validation(f"{field} must be relative to the workspace",
                         details={"field": field})
    parts = value.split("/")
    if len(parts) > depth:
        raise Validation(f"{field} must have at most {depth} part(s)",
                         details={"field": field})
    for part in parts:
        if part in ("", ".", ".."):
            raise Validation(f"{field} must stay inside the workspace (no '..', '.' or "
                             "empty parts)", details={"field": field})
        if len(part.encode()) > PART_MAX:
            raise Validation(f"{field}: a part may be at most {PART_MAX} bytes",
                             details={"field": field})
        if part.lower() == GIT_DIR:
            raise Validation(f"{field} must not name the .git folder",
                             details={"field": field})
    return value


def check_branch(value: str) -> bytes:
    """The ref of branch ``value``; NotFound when it cannot be a branch name."""
    if (not value or len(value) > BRANCH_NAME_MAX or _CONTROL.search(value)
            or not is_text(value)
            or not check_ref_format(b"refs/heads/" + value.encode())):
        raise NotFound("Branch not found")
    return b"refs/heads/" + value.encode()


def step_name(step_number: int, kind: str) -> str:
    """The branch or folder of a step's start or end state: ``step-3-start``."""
    return f"step-{step_number}-{kind}"


def check_files(files: list[tuple[str, str]], *, field: str = "files") -> list[FileWrite]:
    """Paths checked and contents encoded, each at most ``FILE_MAX_BYTES``."""
    checked = []
    for index, (path, content) in enumerate(files):
        where = f"{field}.{index}"
        check_path(path, field=f"{where}.path")
        if not is_text(content) or "\x00" in content:
            raise Validation(f"{where}.content must be text (no NUL characters)",
                             details={"field": f"{where}.content"})
        data = content.encode("utf-8")
        if len(data) > FILE_MAX_BYTES:
            raise Validation(f"{where}.content must be at most {FILE_MAX_BYTES} bytes",
                             details={"field": f"{where}.content"})
        checked.append(FileWrite(path=path, data=data))
    _check_shape({f.path for f in checked})
    return checked


def _check_shape(paths: set[str]) -> None:
    """No path may be a file and, for another path, a folder."""
    folders = {"/".join(p.split("/")[:i]) for p in paths for i in range(1, p.count("/") + 1)}
    both = sorted(paths & folders)
    if both:
        raise Validation(f"{both[0][:100]!r} would be both a file and a folder",
                         details={"field": "files"})


# --- the folder on disk -----------------------------------------------------------


def _refuse_os(exc: OSError, path: str) -> Exception:
    if isinstance(exc, FileNotFoundError):
        return NotFound("File not found")
    if isinstance(exc, NotADirectoryError):
        return Validation(f"{path[:100]!r} goes through a file or a symbolic link, not a folder",
                          details={"field": "path"})
    if isinstance(exc, IsADirectoryError):
        return Validation(f"{path[:100]!r} is a folder", details={"field": "path"})
    if exc.errno == 40:  # ELOOP: O_NOFOLLOW met a symbolic link
        return Validation(f"{path[:100]!r} goes through a symbolic link",
                          details={"field": "path"})
    return exc


def _open_root(root: Path) -> int:
    try:
        return os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise NotFound("The workspace's files are missing; delete it and create it "
                       "again") from None


def _open_dir(dir_fd: int, parts: list[str], *, create: bool, path: str) -> int:
    """A descriptor of the folder ``parts`` below ``dir_fd``, never through a link."""
    fd = os.dup(dir_fd)
    try:
        for part in parts:
            if create:
                try:
                    os.mkdir(part, 0o755, dir_fd=fd)
                except FileExistsError:
                    pass
            try:
                child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                                dir_fd=fd)
            except OSError as exc:
                raise _refuse_os(exc, path) from None
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def _write_at(dir_fd: int, path: str, data: bytes) -> None:
    *parents, name = path.split("/")
    fd = _open_dir(dir_fd, parents, create=True, path=path)
    try:
        temp = f".write-{uuid.uuid4().hex}"
        handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644,
                         dir_fd=fd)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            try:
                os.replace(temp, name, src_dir_fd=fd, dst_dir_fd=fd)
            except OSError as exc:
                raise _refuse_os(exc, path) from None
        except BaseException:
            try:
                os.unlink(temp, dir_fd=fd)
            except FileNotFoundError:
                pass
            raise
    finally:
        os.close(fd)


def _remove_at(dir_fd: int, path: str) -> None:
    """Remove a file or a folder (a link itself, never its target); missing is fine."""
    *parents, name = path.split("/")
    try:
        fd = _open_dir(dir_fd, parents, create=False, path=path)
    except NotFound:
        return
    try:
        try:
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(info.st_mode):
            shutil.rmtree(name, dir_fd=fd)
        else:
            os.unlink(name, dir_fd=fd)
    finally:
        os.close(fd)


def _read_at(dir_fd: int, path: str) -> bytes:
    *parents, name = path.split("/")
    fd = _open_dir(dir_fd, parents, create=False, path=path)
    try:
        try:
            handle = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
        except OSError as exc:
            raise _refuse_os(exc, path) from None
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            os.close(handle)
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a file"
            raise Validation(f"{path[:100]!r} is {what}", details={"field": "file"})
        with os.fdopen(handle, "rb") as source:
            data = source.read(FILE_MAX_BYTES + 1)
        if len(data) > FILE_MAX_BYTES:
            raise Validation(f"The file is larger than {FILE_MAX_BYTES} bytes; download the "
                             "workspace to read it", details={"field": "file"})
        return data
    finally:
        os.close(fd)


def _walk(dir_fd: int, *, skip_git: bool = False) -> Iterator[tuple[str, os.stat_result]]:
    """Regular files below ``dir_fd`` (relative paths), links left out."""
    for top, dirs, files, fd in os.fwalk(".", dir_fd=dir_fd, follow_symlinks=False):
        dirs.sort()
        if skip_git and top == ".":
            dirs[:] = [d for d in dirs if d != GIT_DIR]
        for name in sorted(files):
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISREG(info.st_mode):
                rel = name if top == "." else f"{top[2:]}/{name}"
                yield rel, info


def _disk_usage(root_fd: int) -> tuple[int, int]:
    """Bytes and files the workspace holds on disk (``.git`` included)."""
    size = count = 0
    for _, info in _walk(root_fd):
        size += info.st_size
        count += 1
    return size, count


def _check_room(root_fd: int, files: list[FileWrite]) -> None:
    if not files:
        return
    size, count = _disk_usage(root_fd)
    if size + sum(len(f.data) for f in files) > WORKSPACE_MAX_BYTES:
        raise Validation(f"A workspace may hold at most {WORKSPACE_MAX_BYTES // 2**20} MiB",
                         details={"field": "files"})
    if count + len(files) > WORKSPACE_ENTRIES_MAX:
        raise Validation(f"A workspace may hold at most {WORKSPACE_ENTRIES_MAX} files",
                         details={"field": "files"})


# --- the workspace ----------------------------------------------------------------


def create(root: Path, *, structure_type: str, files: list[FileWrite]) -> None:
    """A new workspace at ``root`` with ``files``: a git repository whose ``main``
    holds them (branch), or plain files (folder). A folder left at ``root`` by an
    earlier workspace is removed first."""
    if root.exists() or root.is_symlink():
        _discard(root)
    root.mkdir(parents=True)
    fd = _open_root(root)
    try:
        if structure_type == FOLDER:
            for f in files:
                _write_at(fd, f.path, f.data)
            return
    finally:
        os.close(fd)
    repo = Repo.init(str(root), default_branch=DEFAULT_BRANCH.encode())
    with repo:
        tree = commit_tree(repo.object_store, _blobs(repo, {f.path: f.data for f in files}))
        sha = _commit(repo, tree, parents=[], message="Create workspace")
        repo.refs[b"refs/heads/" + DEFAULT_BRANCH.encode()] = sha
        porcelain.reset(repo, "hard", sha)


def delete(root: Path) -> None:
    """Remove the workspace's folder (renamed aside first, so a half-removed folder is
    never mistaken for a workspace)."""
    if root.exists() or root.is_symlink():
        _discard(root)


def _discard(root: Path) -> None:
    aside = root.with_name(f".removed-{uuid.uuid4().hex}")
    os.replace(root, aside)
    if aside.is_symlink() or not aside.is_dir():
        aside.unlink()
    else:
        shutil.rmtree(aside)


def archive(root: Path, top: str) -> bytes:
    """The workspace as a ZIP archive (its files under ``top/``, the ``.git``
    folder of a branch workspace included, symbolic links left out)."""
    fd = _open_root(root)
    out = io.BytesIO()
    try:
        # Files made on disk outside these routes may pass the workspace's bound.
        if _disk_usage(fd)[0] > DOWNLOAD_MAX_BYTES:
            raise Validation(f"The workspace holds more than {DOWNLOAD_MAX_BYTES // 2**20} MiB "
                             "on disk, too much to download here")
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(zipfile.ZipInfo(f"{top}/"), b"")
            for rel, info in _walk(fd):
                zinfo = zipfile.ZipInfo(f"{top}/{rel}",
                                        date_time=time.gmtime(max(info.st_mtime, 315532800))[:6])
                zinfo.compress_type = zipfile.ZIP_DEFLATED
                zinfo.external_attr = (0o755 if info.st_mode & 0o100 else 0o644) << 16
                zf.writestr(zinfo, _read_raw(fd, rel))
    finally:
        os.close(fd)
    return out.getvalue()


def _read_raw(dir_fd: int, path: str) -> bytes:
    *parents, name = path.split("/")
    fd = _open_dir(dir_fd, parents, create=False, path=path)
    try:
        handle = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
        with os.fdopen(handle, "rb") as source:
            return source.read(DOWNLOAD_MAX_BYTES + 1)
    finally:
        os.close(fd)


# --- folders ----------------------------------------------------------------------


def folders(root: Path) -> list[str]:
    """The workspace's top-level folders, sorted (links and ``.git`` left out)."""
    fd = _open_root(root)
    try:
        names = []
        for entry in os.scandir(fd):
            if entry.is_dir(follow_symlinks=False) and entry.name != GIT_DIR:
                names.append(entry.name)
        return sorted(names)
    finally:
        os.close(fd)


def _folder_fd(root_fd: int, folder: str) -> int:
    try:
        check_path(folder, field="folder", depth=1)
    except Validation:
        raise NotFound("Folder not found") from None
    try:
        return _open_dir(root_fd, [folder], create=False, path=folder)
    except (NotFound, Validation):
        raise NotFound("Folder not found") from None


def create_folder(root: Path, folder: str, files: list[FileWrite]) -> None:
    """A new top-level folder holding ``files``; Conflict when it exists."""
    fd = _open_root(root)
    try:
        if len(folders(root)) >= FOLDERS_MAX:
            raise Validation(f"A workspace may hold at most {FOLDERS_MAX} folders",
                             details={"field": "step_number"})
        _check_room(fd, files)
        try:
            os.mkdir(folder, 0o755, dir_fd=fd)
        except FileExistsError:
            raise Conflict(f"Folder {folder} already exists") from None
        folder_fd = _open_dir(fd, [folder], create=False, path=folder)
        try:
            for f in files:
                _write_at(folder_fd, f.path, f.data)
        finally:
            os.close(folder_fd)
    finally:
        os.close(fd)


def folder_files(root: Path, folder: str) -> list[str]:
    fd = _open_root(root)
    try:
        folder_fd = _folder_fd(fd, folder)
        try:
            found = []
            for rel, _ in _walk(folder_fd):
                found.append(rel)
                if len(found) > TREE_FILES_MAX:
                    raise Validation(f"The folder holds more than {TREE_FILES_MAX} files; "
                                     "download the workspace instead",
                                     details={"field": "folder"})
            return sorted(found)
        finally:
            os.close(folder_fd)
    finally:
        os.close(fd)


def read_folder_file(root: Path, folder: str, path: str) -> bytes:
    check_path(path, field="file")
    fd = _open_root(root)
    try:
        folder_fd = _folder_fd(fd, folder)
        try:
            return _read_at(folder_fd, path)
        finally:
            os.close(folder_fd)
    finally:
        os.close(fd)


def write_folder_files(root: Path, folder: str, files: list[FileWrite],
                       deletes: list[str]) -> None:
    """Write ``files`` into an existing folder, then remove ``deletes`` from it."""
    fd = _open_root(root)
    try:
        folder_fd = _folder_fd(fd, folder)
        try:
            _check_room(fd, files)
            for f in files:
                _write_at(folder_fd, f.path, f.data)
            for path in deletes:
                _remove_at(folder_fd, path)
        finally:
            os.close(folder_fd)
    finally:
        os.close(fd)


# --- branches ---------------------------------------------------------------------


def _blobs(repo: Repo, files: dict[str, bytes]) -> list[tuple[bytes, bytes, int]]:
    entries = []
    for path, data in files.items():
        blob = Blob.from_string(data)
        repo.object_store.add_object(blob)
        entries.append((path.encode(), blob.id, _FILE_MODE))
    return entries


def _commit(repo: Repo, tree: bytes, *, parents: list[bytes], message: str) -> bytes:
    commit = Commit()
    commit.tree = tree
    commit.parents = parents
    commit.author = commit.committer = IDENTITY
    commit.author_time = commit.commit_time = int(time.time())
    commit.author_timezone = commit.commit_timezone = 0
    commit.encoding = b"UTF-8"
    commit.message = message.encode() + b"\n"
    repo.object_store.add_object(commit)
    return commit.id


def _open_repo(root: Path) -> Repo:
    if not (root / GIT_DIR).is_dir():
        raise NotFound("The workspace's files are missing; delete it and create it again")
    return Repo(str(root))


def _head_of(repo: Repo, ref: bytes) -> bytes:
    try:
        return repo.refs[ref]
    except KeyError:
        raise NotFound("Branch not found") from None


def _tree_files(repo: Repo, commit_sha: bytes) -> dict[str, tuple[bytes, int]]:
    found: dict[str, tuple[bytes, int]] = {}
    commit = repo[commit_sha]
    for entry in iter_tree_contents(repo.object_store, commit.tree):
        found[entry.path.decode("utf-8", errors="replace")] = (entry.sha, entry.mode)
        if len(found) > TREE_FILES_MAX:
            raise Validation(f"The branch holds more than {TREE_FILES_MAX} files; download "
                             "the workspace instead", details={"field": "branch"})
    return found


def branches(root: Path) -> list[str]:
    with _open_repo(root) as repo:
        return sorted(name.decode("utf-8", errors="replace")
                      for name in repo.refs.keys(base=b"refs/heads/"))


def create_branch(root: Path, name: str) -> None:
    """A new branch at ``main``'s last commit; Conflict when it exists."""
    with _open_repo(root) as repo:
        if len(repo.refs.keys(base=b"refs/heads/")) >= BRANCHES_MAX:
            raise Validation(f"A workspace may hold at most {BRANCHES_MAX} branches",
                             details={"field": "step_number"})
        head = _head_of(repo, b"refs/heads/" + DEFAULT_BRANCH.encode())
        if not repo.refs.add_if_new(b"refs/heads/" + name.encode(), head):
            raise Conflict(f"Branch {name} already exists")


def branch_files(root: Path, branch: str) -> list[str]:
    ref = check_branch(branch)
    with _open_repo(root) as repo:
        files = _tree_files(repo, _head_of(repo, ref))
        return sorted(path for path, (_, mode) in files.items() if stat.S_ISREG(mode))


def read_branch_file(root: Path, branch: str, path: str) -> bytes:
    ref = check_branch(branch)
    check_path(path, field="file")
    with _open_repo(root) as repo:
        tree = repo[_head_of(repo, ref)].tree
        try:
            mode, sha = repo[tree].lookup_path(repo.object_store.__getitem__, path.encode())
        except (KeyError, NotTreeError):
            raise NotFound("File not found") from None
        if stat.S_ISDIR(mode):
            raise Validation(f"{path[:100]!r} is a folder", details={"field": "file"})
        if not stat.S_ISREG(mode):
            raise Validation(f"{path[:100]!r} is not a file", details={"field": "file"})
        blob = repo[sha]
        assert isinstance(blob, Blob)
        return blob.as_raw_string()


def write_branch_files(root: Path, branch: str, files: list[FileWrite], deletes: list[str],
                       message: str) -> str:
    """One commit on ``branch`` writing ``files`` and removing ``deletes`` (files or
    folders); the checked-out branch's files on disk follow. Returns the commit id."""
    ref = check_branch(branch)
    fd = _open_root(root)
    try:
        _check_room(fd, files)
    finally:
        os.close(fd)
    with _open_repo(root) as repo:
        old = _head_of(repo, ref)
        tree = _tree_files(repo, old)
        for path in deletes:
            tree.pop(path, None)
            for name in [n for n in tree if n.startswith(path + "/")]:
                del tree[name]
        new_blobs = _blobs(repo, {f.path: f.data for f in files})
        for path, sha, mode in new_blobs:
            tree[path.decode()] = (sha, mode)
        _check_shape(set(tree))
        if len(tree) > TREE_FILES_MAX:
            raise Validation(f"A branch may hold at most {TREE_FILES_MAX} files",
                             details={"field": "files"})
        tree_id = commit_tree(repo.object_store,
                              [(p.encode(), sha, mode) for p, (sha, mode) in tree.items()])
        sha = _commit(repo, tree_id, parents=[old], message=message)
        if not repo.refs.set_if_equals(ref, old, sha):
            raise Conflict("The branch changed meanwhile; try again")
        if repo.object_store.count_loose_objects() > LOOSE_OBJECTS_MAX:
            repo.object_store.pack_loose_objects()
        checked_out = repo.refs.get_symrefs().get(b"HEAD")
        if checked_out == ref:
            try:
                porcelain.reset(repo, "hard", sha)
            except Exception:
                # The commit stands; only the copy on disk (changed by hand?) lags.
                log.warning("workspace %s: the checked-out files could not follow %s",
                            root.name, sha.decode(), exc_info=True)
        return sha.decode()
