"""Offline verification of receipts: only the bytes, the receipt and the log's key.

An inspector's verifier needs nothing else, so this module imports only the
pure ledger modules (note, checkpoint, receipt, proofs): no database, web or
signing code. A test checks that.
"""

from __future__ import annotations

from suyuan.errors import ProofError, RootMismatchError, VerificationError
from suyuan.ledger import proofs
from suyuan.ledger.checkpoint import Checkpoint, open_checkpoint
from suyuan.ledger.note import Verifier
from suyuan.ledger.receipt import Receipt

__all__ = ["EntryNotIncluded", "verify_receipt"]


class EntryNotIncluded(RootMismatchError):
    """The entry and proof lead to another root than the signed checkpoint's."""

    def __init__(self, index: int, size: int, expected: bytes, calculated: bytes):
        super().__init__(expected, calculated)
        self.index = index
        self.size = size
        self.args = (
            f"entry is not at index {index} of the checkpointed tree of size {size}: "
            f"root mismatch: expected {expected.hex()}, calculated {calculated.hex()}",
        )


def verify_receipt(
    receipt_text: str | bytes,
    verifier_key: str | Verifier,
    entry_bytes: bytes,
    origin: str | None = None,
) -> Checkpoint:
    """Check that `entry_bytes` is in the log, per a ``c2sp.org/tlog-proof@v1`` receipt.

    Steps: parse the receipt; open its checkpoint with the log's verifier key
    (origin must equal `origin`, or the key name when None); hash the entry as
    an RFC 9162 leaf; check the inclusion proof against the checkpoint's root.
    Returns the verified checkpoint. Raises NoteError for a malformed or
    unsigned receipt, ProofError for a proof malformed for its tree, and
    EntryNotIncluded (a RootMismatchError) when the proof does not lead to the root.
    The receipt's extra data is not authenticated and is not used.
    """
    receipt = Receipt.parse(receipt_text)
    verifier = verifier_key if isinstance(verifier_key, Verifier) else Verifier.from_key(verifier_key)
    checkpoint = open_checkpoint(receipt.checkpoint_note, verifier, origin)

    index, size = receipt.index, checkpoint.size
    if index >= size:  # Receipt checks this too; kept so the check sits next to its use.
        raise ProofError(f"entry index {index} is outside the checkpointed tree of size {size}")

    leaf = proofs.leaf_hash(bytes(entry_bytes))
    try:
        proofs.verify_inclusion(leaf, index, size, list(receipt.proof), checkpoint.root_hash)
    except RootMismatchError as e:
        raise EntryNotIncluded(
            index, size, checkpoint.root_hash, getattr(e, "calculated", b"")
        ) from e
    except ProofError as e:
        raise ProofError(
            f"inclusion proof for index {index} in the checkpointed tree of size {size} "
            f"is malformed: {e}"
        ) from e
    except VerificationError:
        raise
    except ValueError as e:
        raise ProofError(
            f"inclusion proof for index {index} in the checkpointed tree of size {size} "
            f"is malformed: {e}"
        ) from e
    return checkpoint
