"""The proxy's configuration (what the command line and `serve()` set), checked before start."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import ConfigError
from .settings import DDL_MODES


@dataclass
class ProxyConfig:
    project: str
    instance: str
    database: str | None = None
    host: str = "127.0.0.1"
    port: int = 5432
    unix_socket_dir: str | None = None
    credentials_file: str | None = None
    emulator_host: str | None = None
    endpoint: str | None = None
    auth: str = "none"  # "none" | "password" (cleartext password carrying a token/credentials)
    ssl_cert: str | None = None
    ssl_key: str | None = None
    # "enable": TLS when the client asks for it; "require": plaintext connections are refused
    ssl_mode: str = "enable"
    max_connections: int = 0  # 0: no limit
    ddl_transaction_mode: str = "batch"
    # create missing databases (PostgreSQL dialect) on first connect: emulators only
    auto_create_database: bool = False
    startup_timeout: float = 30.0
    max_workers: int = 32
    # bound on reaching Spanner when a client connects (TCP probe, then the database check)
    connect_timeout: float = 20.0
    # largest protocol message a client may send (bytes); larger ones end the connection
    max_message_size: int = 64 * 1024 * 1024
    # after SIGTERM/SIGINT (stop()): how long open connections get to finish
    stop_grace: float = 3.0

    def validate(self) -> None:
        if not self.project or not self.instance:
            raise ConfigError("both --project and --instance are required")
        if self.emulator_host and self.endpoint:
            raise ConfigError("give either --emulator-host or --endpoint, not both")
        if self.auth not in ("none", "password"):
            raise ConfigError(f"unknown auth mode {self.auth!r}: use 'none' or 'password'")
        if bool(self.ssl_cert) != bool(self.ssl_key):
            raise ConfigError("TLS needs both --ssl-cert and --ssl-key")
        if self.ssl_mode not in ("enable", "require"):
            raise ConfigError(f"unknown --ssl-mode {self.ssl_mode!r}: use 'enable' or 'require'")
        if self.ssl_mode == "require" and not self.ssl_cert:
            raise ConfigError("--ssl-mode require needs --ssl-cert and --ssl-key")
        if self.max_connections < 0:
            raise ConfigError("--max-connections must be 0 (no limit) or more")
        if self.ddl_transaction_mode not in DDL_MODES:
            raise ConfigError(f"unknown DDL transaction mode; use one of {', '.join(DDL_MODES)}")
        if self.auto_create_database and not self.emulator_host:
            raise ConfigError("--auto-create-database is only for emulators (--emulator-host)")
        if not 1 << 16 <= self.max_message_size <= (1 << 30) - 1:
            raise ConfigError("--max-message-size must be between 64 kB and 1 GB")
        if not self.connect_timeout > 0:
            raise ConfigError("--connect-timeout must be a positive number of seconds")
        if self.credentials_file and not os.path.exists(self.credentials_file):
            raise ConfigError(f"credentials file {self.credentials_file} does not exist")
