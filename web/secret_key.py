"""The key that signs session cookies: required from the environment in production, made once for the embedded server.

Whoever knows the key can write a session cookie naming any user, so a key printed in the source or in an example
file signs nothing. Production (gunicorn workers, docker: an app that leaves the timer sweep to `lawflow scheduler`)
refuses to start without a real key; the embedded server (`lawflow up`, `make run`) keeps a random one in the
instance folder, so sign-ins survive a restart without anyone having to choose a key.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

# Keys that were ever printed in this project: the old built-in default and the compose file's example value.
PUBLIC_KEYS = frozenset({"dev-only-change-me", "change-me-to-a-long-random-value"})
MIN_LENGTH = 16


class MissingSecretKey(RuntimeError):
    """Production was asked to start without a key that only it knows."""


def is_production(config: dict, debug: bool) -> bool:
    """An app built for gunicorn, the docker services or `lawflow scheduler`: not testing, not debugging, and
    not running the timer sweep in its own process (which only the embedded server does)."""
    return not config.get("TESTING") and not debug and not config["SCHEDULER_IN_PROCESS"]


def resolve(config: dict, debug: bool = False) -> str:
    """The key to sign sessions with: the configured one, else (embedded only) the instance folder's."""
    key = str(config.get("SECRET_KEY") or "")
    if is_production(config, debug):
        require_real(key)
        return key
    if key and key not in PUBLIC_KEYS:
        return key
    return instance_key(Path(config["SECRET_KEY_FILE"]))


def require_real(key: str) -> None:
    """Refuse an absent, public or short key, saying how to set one."""
    if not key or key in PUBLIC_KEYS or len(key) < MIN_LENGTH:
        problem = "未设置" if not key else ("是公开的示例值" if key in PUBLIC_KEYS else f"短于 {MIN_LENGTH} 个字符")
        raise MissingSecretKey(
            f"LAWFLOW_SECRET_KEY {problem}：生产环境必须用只有本系统知道的长随机值签名会话，例如 "
            "LAWFLOW_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(48))')")


def instance_key(path: Path) -> str:
    """The key kept in `path`, written there (readable by its owner only) the first time."""
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return _write_new(path)
    if len(key) < MIN_LENGTH:
        raise MissingSecretKey(f"{path} 中的会话密钥无效（过短）；删除该文件后重新启动即可生成新的密钥")
    return key


def _write_new(path: Path) -> str:
    """A new random key in a new file; a process that lost the race to create it reads the winner's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return instance_key(path)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key + "\n")
    return key
