"""What signing in remembers of a user beyond the account: the hashes of the passwords chosen lately (so none is
chosen again) and the TOTP second factor (its secret sealed with a key the web holds)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, Moment


class PasswordHistory(Base):
    """A password hash the user had, newest last (the current one too); only the last few are kept."""

    __tablename__ = "password_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    set_at: Mapped[datetime] = mapped_column(Moment())


class SecondFactor(Base):
    """A user's TOTP secret: pending until a code confirms it, then asked for at every sign-in."""

    __tablename__ = "second_factor"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    sealed_secret: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(Moment())
    confirmed_at: Mapped[datetime | None] = mapped_column(Moment())
    # The last 30-second step a code was accepted for: the same code never signs in twice.
    last_step: Mapped[int | None] = mapped_column(BigInteger)
