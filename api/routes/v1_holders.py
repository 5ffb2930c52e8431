"""Native API for referrers and region administrators: holders, statuses, cards, imports,
follow-up lists, the audit log and the data subject's rights. JSON in snake_case; every write
takes an Idempotency-Key; every read of personal data is audited by the services."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session, sessionmaker

from api.deps import NowDep, PrincipalDep, VaultDep, WritersDep
from passengine.domain.errors import InvalidInput
from passengine.services import card_stock, gdpr, holders, referrer_view, status_changes
from passengine.services.audit_log import query_audit
from passengine.services.auth import Principal
from passengine.services.authority import Authority
from passengine.services.holder_import import ImportRefused, RowError, import_holders, read_csv
from passengine.services.idempotency import Answer, fingerprint, run_once

router = APIRouter(prefix="/v1", tags=["native: holders"])
BRUSSELS = ZoneInfo("Europe/Brussels")
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def _today(now: datetime) -> date:
    return now.astimezone(BRUSSELS).date()


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _write(
    writers: sessionmaker[Session],
    principal: Principal,
    key: str | None,
    request_print: str,
    work: Callable[[Session, Authority], Answer],
) -> JSONResponse:
    answer = run_once(
        writers,
        client_id=principal.client_id,
        key=key,
        request_fingerprint=request_print,
        work=lambda session: work(session, Authority.of(session, principal)),
    )
    return JSONResponse(answer.body, status_code=answer.status_code)


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    street: str | None = Field(default=None, max_length=200)
    postal_code: str = Field(pattern=r"^\d{4}$")
    sub_municipality: str | None = Field(default=None, max_length=200)

    def core(self) -> holders.Address:
        return holders.Address(self.street, self.postal_code, self.sub_municipality)


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target_group: str = Field(min_length=1, max_length=64)
    ground: str | None = Field(default=None, max_length=64)
    start_date: date | None = None
    end_date: date | None = None
    grace_period_days: int | None = Field(default=None, ge=0, le=365)

    def core(self) -> status_changes.GrantRequest:
        return status_changes.GrantRequest(
            self.target_group, self.ground, self.start_date, self.end_date, self.grace_period_days
        )


class RegistrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region_id: int
    name: str = Field(min_length=1, max_length=200)
    first_name: str = Field(min_length=1, max_length=200)
    birth_date: date
    address: AddressIn
    insz: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    uitpas_number: str | None = Field(default=None, max_length=20)
    status: StatusIn | None = None
    household_with: list[str] = Field(default=[], max_length=20)


@router.post("/holders", status_code=201)
def register_holder(
    principal: PrincipalDep,
    writers: WritersDep,
    vault: VaultDep,
    now: NowDep,
    body: RegistrationIn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Register a person with a card, a membership and (if allowed) a status."""

    def work(session: Session, authority: Authority) -> Answer:
        holder_id = holders.register(
            session,
            holders.Registration(
                region_id=body.region_id,
                name=body.name,
                first_name=body.first_name,
                birth_date=body.birth_date,
                address=body.address.core(),
                insz=body.insz,
                email=body.email,
                phone=body.phone,
                uitpas_number=body.uitpas_number,
                status=body.status.core() if body.status else None,
                household_with=tuple(body.household_with),
            ),
            authority=authority,
            vault=vault,
            at=now,
            today=_today(now),
        )
        view = holders.read_holder(session, holder_id, authority=authority, today=_today(now))
        return Answer(201, _jsonable(view))

    return _write(
        writers,
        principal,
        idempotency_key,
        fingerprint("POST", "/v1/holders", body.model_dump(mode="json")),
        work,
    )


@router.get("/holders/{holder_id}")
def get_holder(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    holder_id: Annotated[str, Path(max_length=64)],
) -> Any:
    with writers() as session, session.begin():
        view = holders.read_holder(
            session, holder_id, authority=Authority.of(session, principal), today=_today(now)
        )
    return _jsonable(view)


class HolderPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    first_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    street: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, pattern=r"^\d{4}$")
    sub_municipality: str | None = Field(default=None, max_length=200)


@router.patch("/holders/{holder_id}", status_code=204)
def patch_holder(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    body: HolderPatch,
    holder_id: Annotated[str, Path(max_length=64)],
) -> Response:
    changes = body.model_dump(exclude_unset=True)
    with writers() as session, session.begin():
        holders.update_holder(
            session,
            holder_id,
            changes,
            authority=Authority.of(session, principal),
            today=_today(now),
        )
    return Response(status_code=204)


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region_id: int
    address: AddressIn
    uitpas_number: str | None = Field(default=None, max_length=20)


@router.post("/holders/{holder_id}/move")
def move_holder(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    body: MoveIn,
    holder_id: Annotated[str, Path(max_length=64)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Move to another region: new membership and card, the old ones blocked, points kept."""

    def work(session: Session, authority: Authority) -> Answer:
        number = holders.move_region(
            session,
            holder_id,
            region_id=body.region_id,
            address=body.address.core(),
            uitpas_number=body.uitpas_number,
            authority=authority,
            at=now,
            today=_today(now),
        )
        return Answer(200, {"holder_id": holder_id, "uitpas_number": number})

    return _write(
        writers,
        principal,
        idempotency_key,
        fingerprint("POST", f"/v1/holders/{holder_id}/move", body.model_dump(mode="json")),
        work,
    )


class GrantIn(StatusIn):
    region_id: int


@router.post("/holders/{holder_id}/statuses", status_code=201)
def grant_status(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    body: GrantIn,
    holder_id: Annotated[str, Path(max_length=64)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def work(session: Session, authority: Authority) -> Answer:
        membership = status_changes.membership_of(session, holder_id, body.region_id)
        status_id = status_changes.grant_in_session(
            session, membership.id, body.core(), authority=authority, at=now, today=_today(now)
        )
        return Answer(201, {"status_id": status_id})

    return _write(
        writers,
        principal,
        idempotency_key,
        fingerprint("POST", f"/v1/holders/{holder_id}/statuses", body.model_dump(mode="json")),
        work,
    )


class RenewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    end_date: date | None = None


class SuspendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    until: date


class EndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: date | None = None


@router.post("/statuses/{status_id}/renew", status_code=201)
def renew_status(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    body: RenewIn,
    status_id: int,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def work(session: Session, authority: Authority) -> Answer:
        new_id = status_changes.renew(
            session,
            status_id,
            end_date=body.end_date,
            authority=authority,
            at=now,
            today=_today(now),
        )
        return Answer(201, {"status_id": new_id})

    return _write(
        writers,
        principal,
        idempotency_key,
        fingerprint("POST", f"/v1/statuses/{status_id}/renew", body.model_dump(mode="json")),
        work,
    )


@router.post("/statuses/{status_id}/suspend", status_code=204)
def suspend_status(
    principal: PrincipalDep, writers: WritersDep, now: NowDep, body: SuspendIn, status_id: int
) -> Response:
    with writers() as session, session.begin():
        status_changes.suspend(
            session,
            status_id,
            until=body.until,
            authority=Authority.of(session, principal),
            today=_today(now),
        )
    return Response(status_code=204)


@router.post("/statuses/{status_id}/end", status_code=204)
def end_status(
    principal: PrincipalDep, writers: WritersDep, now: NowDep, body: EndIn, status_id: int
) -> Response:
    with writers() as session, session.begin():
        status_changes.end(
            session,
            status_id,
            on=body.on or _today(now),
            authority=Authority.of(session, principal),
        )
    return Response(status_code=204)


async def _text_body(request: Request) -> str:
    raw = await request.body()
    if len(raw) > MAX_UPLOAD_BYTES:
        raise InvalidInput("The file is larger than 50 MB.", code="file-too-large")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "The file is not UTF-8 text (save it as CSV UTF-8).", code="invalid-encoding"
        ) from exc


@router.post("/regions/{region_id}/statuses/bulk-renewal")
async def bulk_renewal(
    request: Request,
    principal: PrincipalDep,
    writers: WritersDep,
    vault: VaultDep,
    now: NowDep,
    region_id: int,
    target_group: Annotated[str, Query(max_length=64)] = "KANSENSTATUUT",
    end_date: date | None = None,
    apply: bool = False,
    grant_missing: bool = False,
) -> Any:
    """A CSV of INSZ numbers: without ``apply`` a dry run that reports what would change; with
    it, all or nothing."""
    text = await _text_body(request)
    today = _today(now)

    def run() -> Any:
        with writers() as session, session.begin():
            authority = Authority.of(session, principal)
            plan = status_changes.plan_bulk_renewal(
                session,
                region_id,
                text,
                target_group=target_group,
                end_date=end_date,
                vault=vault,
                authority=authority,
            )
            changed = 0
            if apply:
                changed = status_changes.apply_bulk_renewal(
                    session,
                    plan,
                    authority=authority,
                    at=now,
                    today=today,
                    grant_missing=grant_missing,
                )
            return {
                "applied": apply,
                "changed": changed,
                "end_date": plan.end_date.isoformat() if plan.end_date else None,
                "counts": {o: plan.count(o) for o in status_changes.OUTCOMES},
                "lines": [_jsonable(line) for line in plan.lines if line.outcome != "RENEW"],
            }

    return await run_in_threadpool(run)


@router.post("/regions/{region_id}/cards/stock", status_code=201)
async def import_card_stock(
    request: Request, principal: PrincipalDep, writers: WritersDep, region_id: int
) -> Any:
    """A supplier's CSV of ``chip number;card number``: all or nothing."""
    text = await _text_body(request)

    def run() -> Any:
        with writers() as session, session.begin():
            report = card_stock.import_stock(
                session, region_id, text, authority=Authority.of(session, principal)
            )
        return {"imported": report.imported}

    return await run_in_threadpool(run)


@router.post("/regions/{region_id}/holders/import", status_code=201)
async def import_holders_csv(
    request: Request,
    principal: PrincipalDep,
    writers: WritersDep,
    vault: VaultDep,
    now: NowDep,
    region_id: int,
    valid_only: bool = False,
) -> Any:
    """Bulk registration from CSV (docs/decisions.md: the columns): a report of every refused
    line; nothing written unless the file is valid, or only the valid rows with ``valid_only``."""
    raw = await request.body()
    if len(raw) > MAX_UPLOAD_BYTES:
        raise InvalidInput("The file is larger than 50 MB.", code="file-too-large")

    def run() -> Any:
        with writers() as session:
            with session.begin():
                authority = Authority.of(session, principal)
                authority.require(
                    authority.can_register(region_id), "import holders in this region"
                )
            errors: list[RowError] = []
            rows = (
                r
                for r in read_csv(raw.splitlines(keepends=True), errors)
                if _check_region(r.region_id, region_id, errors, r.line)
            )
            try:
                report = import_holders(
                    session,
                    rows,
                    vault=vault,
                    actor=principal.actor,
                    today=_today(now),
                    parse_errors=errors,
                    valid_only=valid_only,
                )
            except ImportRefused as exc:
                raise InvalidInput(
                    exc.message,
                    code="import-refused",
                    rejected=[{"line": e.line, "reason": e.reason} for e in exc.report.rejected],
                ) from exc
        return {
            "imported": report.imported,
            "rejected": [{"line": e.line, "reason": e.reason} for e in report.rejected],
        }

    return await run_in_threadpool(run)


def _check_region(row_region: int, region_id: int, errors: list[RowError], line: int) -> bool:
    if row_region != region_id:
        errors.append(RowError(line, f"region_id {row_region} is not region {region_id}"))
        return False
    return True


class BlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Literal["LOST", "STOLEN", "DEFECT", "OTHER"] = "LOST"


class ReplaceIn(BlockIn):
    new_uitpas_number: str | None = Field(default=None, max_length=20)


@router.post("/cards/{uitpas_number}/block", status_code=204)
def block_card(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    body: BlockIn,
    uitpas_number: Annotated[str, Path(max_length=20)],
) -> Response:
    with writers() as session, session.begin():
        card_stock.block(
            session,
            uitpas_number,
            reason=body.reason,
            authority=Authority.of(session, principal),
            at=now,
        )
    return Response(status_code=204)


@router.post("/cards/{uitpas_number}/replace", status_code=201)
def replace_card(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    body: ReplaceIn,
    uitpas_number: Annotated[str, Path(max_length=20)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def work(session: Session, authority: Authority) -> Answer:
        number = card_stock.replace(
            session,
            uitpas_number,
            new_number=body.new_uitpas_number,
            reason=body.reason,
            authority=authority,
            at=now,
        )
        return Answer(201, {"uitpas_number": number, "replaces": uitpas_number})

    return _write(
        writers,
        principal,
        idempotency_key,
        fingerprint("POST", f"/v1/cards/{uitpas_number}/replace", body.model_dump(mode="json")),
        work,
    )


@router.get("/referrer/holders", response_model=None)
def referrer_holders(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    list_: Annotated[
        Literal["registered", "expiring", "inactive"], Query(alias="list")
    ] = "registered",
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    months: Annotated[int, Query(ge=1, le=36)] = 6,
    format_: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> Any:
    """The referrer's follow-up lists: people registered, statuses ending within ``days``,
    status holders without any activity for ``months`` (CSV for a mail merge)."""
    with writers() as session, session.begin():
        authority = Authority.of(session, principal)
        if list_ == "registered":
            rows = referrer_view.registered(session, authority=authority)
        elif list_ == "expiring":
            rows = referrer_view.expiring(
                session, days=days, authority=authority, today=_today(now)
            )
        else:
            rows = referrer_view.inactive(
                session, months=months, authority=authority, today=_today(now)
            )
    if format_ == "csv":
        return PlainTextResponse(referrer_view.to_csv(rows), media_type="text/csv; charset=utf-8")
    return {"total": len(rows), "holders": _jsonable(rows)}


@router.get("/audit")
def get_audit(
    principal: PrincipalDep,
    writers: WritersDep,
    holder_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_client_id: Annotated[str | None, Query(max_length=100)] = None,
    start: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Any:
    with writers() as session, session.begin():
        total, entries = query_audit(
            session,
            principal=principal,
            holder_id=holder_id,
            actor_client_id=actor_client_id,
            start=start,
            limit=limit,
        )
    return {"total": total, "entries": _jsonable(entries)}


@router.get("/holders/{holder_id}/export")
def export_holder(
    principal: PrincipalDep,
    writers: WritersDep,
    vault: VaultDep,
    holder_id: Annotated[str, Path(max_length=64)],
) -> Any:
    """Everything about a holder (GDPR access request), INSZ included for the data subject."""
    with writers() as session, session.begin():
        document = gdpr.export_holder(
            session, holder_id, principal=principal, actor=principal.actor, vault=vault
        )
    return _jsonable(document)


@router.delete("/holders/{holder_id}", status_code=204)
def erase_holder(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    holder_id: Annotated[str, Path(max_length=64)],
) -> Response:
    """Erase a holder's personal data; anonymous sales and check-ins stay for settlements."""
    with writers() as session, session.begin():
        gdpr.erase_holder(session, holder_id, principal=principal, actor=principal.actor, at=now)
    return Response(status_code=204)
