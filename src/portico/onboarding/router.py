"""`/caas-lcm/api/v1/CAAS/...`: customer lookup, customer onboarding, subscription status.

Every answer is `{"code","message","fields","data"}` with the HTTP status of the onboarding
document's tables (several failures are HTTP 200: read `code`). A malformed request is refused
in the same shape by `OnboardingRoute`, with the case the route documents for it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import Response

from portico.crypto import BlindIndex
from portico.db import roll_back
from portico.deps import AuthKitDep, SessionDep
from portico.onboarding import checks, service
from portico.onboarding import schemas as s
from portico.onboarding.checks import Refusal
from portico.onboarding.customers import Standing
from portico.onboarding.deps import OnboardingRead, OnboardingWrite
from portico.onboarding.errors import (
    AuthenticationFailed,
    OnboardingRefused,
    PartnerKeyRequired,
    Reason,
    ScopeMissing,
)
from portico.runtime import runtime_of

PREFIX = "/caas-lcm/api/v1/CAAS"
logger = logging.getLogger("portico.onboarding")
NO_STORE = {"Cache-Control": "no-store"}
INVALID_ATTRIBUTE = "__onboarding_invalid_case__"
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")

# What any request of this API can meet besides its route's own cases.
AUTH_CASES = (
    s.Case(AuthenticationFailed.code, AuthenticationFailed.message, 401),
    s.Case(PartnerKeyRequired.code, PartnerKeyRequired.message, 403),
    s.Case(ScopeMissing.code, ScopeMissing.message, 403),
)
COMMON_CASES = (
    s.Case("BAD_REQUEST", "Invalid request parameters (a NUL or a number form refused)", 400),
    s.Case("INTERNAL_ERROR", "Internal server error (before the route ran)", 500),
    s.Case("SERVICE_UNAVAILABLE", "Service temporarily unavailable", 503),
)
POST_CASES = (s.Case("BODY_TOO_LARGE", "Request body is too large", 413),)

# The documented case of each service outcome, route by route.
LOOKUP_ANSWERS = {
    Standing.FOUND: s.SUCCESS,
    Standing.PENDING: s.LOOKUP_PENDING,
    Standing.NOT_FOUND: s.LOOKUP_NOT_FOUND,
    Standing.UNDER_INVESTIGATION: s.LOOKUP_INVESTIGATION,
    Standing.BLOCKED: s.LOOKUP_BLOCKED,
}
STATUS_ANSWERS = {
    Standing.FOUND: s.SUCCESS,
    Standing.NOT_FOUND: s.STATUS_NOT_FOUND,
    Standing.NOT_SUBSCRIBED: s.STATUS_NOT_SUBSCRIBED,
}
ONBOARD_REFUSALS = {
    Reason.UNDER_INVESTIGATION: s.ONBOARD_INVESTIGATION,
    Reason.BLOCKED: s.ONBOARD_BLOCKED,
    Reason.IDENTITY_CHANGED: s.CUSTOMER_UPDATE_FAILED,
    Reason.INVALID_FIELD_VALUE: s.INVALID_FIELD_VALUE,
}


def _field_names(errors: list[Any]) -> list[str]:
    """The request fields a validation error names: `idNumber`, `address.line1`; `body` when
    the body as a whole is not a JSON object. Only names this API declares are echoed (an
    unknown key is named only when it looks like a field name)."""
    names: list[str] = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if isinstance(part, str)]
        if location and location[0] in {"body", "query"}:
            location = location[1:]
        parts = location[:2] if location and all(_FIELD.match(p) for p in location[:2]) else []
        names.append(".".join(parts) if parts else "body")
    return list(dict.fromkeys(names))[:10]


def answer(case: s.Case, data: Any = None, fields: list[str] | None = None) -> Response:
    content = json.dumps(
        s.body(case, data, fields), ensure_ascii=False, separators=(",", ":")
    ).encode()
    return Response(
        content, status_code=case.status, media_type="application/json", headers=NO_STORE
    )


class OnboardingRoute(APIRoute):
    """Answers a malformed request with the route's documented case instead of the
    platform's `400 VALIDATION.INVALID_PARAMETER` envelope."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        invalid: s.Case = getattr(self.endpoint, INVALID_ATTRIBUTE)

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return answer(invalid, fields=_field_names(list(exc.errors())))

        return handle


def refuses_malformed_as(case: s.Case) -> Callable[[Any], Any]:
    def mark(function: Any) -> Any:
        setattr(function, INVALID_ATTRIBUTE, case)
        return function

    return mark


router = APIRouter(prefix=PREFIX, tags=["onboarding"], route_class=OnboardingRoute)


def _blind(request: Request) -> BlindIndex:
    blind = runtime_of(request.app).blind_index
    return blind


LOOKUP_CASES = (
    s.SUCCESS,
    s.LOOKUP_NOT_FOUND,
    s.LOOKUP_PENDING,
    s.LOOKUP_BAD_REQUEST,
    s.LOOKUP_INTERNAL,
    s.LOOKUP_INVESTIGATION,
    s.LOOKUP_BLOCKED,
)


@router.post(
    "/customer/lookup",
    response_model=None,
    responses=s.responses(
        "Lookup", *LOOKUP_CASES, *AUTH_CASES, *COMMON_CASES, *POST_CASES, data={200: s.CustomerOut}
    ),
    summary="Customer lookup",
)
@refuses_malformed_as(s.LOOKUP_BAD_REQUEST)
async def lookup_customer(
    body: s.CustomerLookupIn, caller: OnboardingRead, session: SessionDep, request: Request
) -> Response:
    """Find a customer of this partner by its ID document (`idType`, `idNumber`, `idCountry`).

    Every business outcome is HTTP 200 — read `code`: `SUCCESS` (subscription ACTIVE) and
    `SUBSCRIPTION_PENDING` (the customer has not signed in yet) carry the customer in `data`;
    `CUSTOMER_NOT_FOUND` (no such customer, or one not subscribed to this partner: the two are
    indistinguishable), `UNDER_INVESTIGATION`, `BLOCKED`, `BAD_REQUEST` (naming `fields`) and
    `INTERNAL_ERROR` carry `data: null`."""
    try:
        standing, found = await service.lookup(
            session,
            _blind(request),
            institution=caller.institution,
            workspace=caller.workspace,
            document=checks.check_lookup(caller.institution, body),
        )
        # Built here, inside the `try`: a row that does not render is an INTERNAL_ERROR too.
        customer = s.CustomerOut.from_customer(found) if found is not None else None
    except Refusal as refusal:
        return answer(refusal.case, fields=refusal.fields)
    except Exception as exc:
        # The type only: a database error's text can hold the statement's values.
        logger.error("customer lookup failed: %s", type(exc).__name__)
        await roll_back(session)
        return answer(s.LOOKUP_INTERNAL)
    return answer(LOOKUP_ANSWERS[standing], customer)


ONBOARD_CASES = (
    s.SUCCESS,
    s.ONBOARD_INVESTIGATION,
    s.ONBOARD_BLOCKED,
    s.INVALID_MASTER_DATA,
    s.MANDATORY_FIELD_MISSING,
    s.INVALID_FIELD_VALUE,
    s.CUSTOMER_UPDATE_FAILED,
    s.ONBOARD_INTERNAL,
)


@router.post(
    "/onBoarding/customer",
    response_model=None,
    responses=s.responses(
        "Onboarding",
        *ONBOARD_CASES,
        *AUTH_CASES,
        *COMMON_CASES,
        *POST_CASES,
        data={200: s.OnboardingOut},
    ),
    summary="Customer onboarding",
)
@refuses_malformed_as(s.INVALID_FIELD_VALUE)
async def onboard_customer(
    body: s.CustomerOnboardingIn,
    caller: OnboardingWrite,
    session: SessionDep,
    kit: AuthKitDep,
    request: Request,
) -> Response:
    """Enrol a customer this partner has KYC'd, or update a known one (same ID document), and
    subscribe it to this partner (PENDING until the customer signs in; a new customer is
    mailed a single-use link to set its password). One transaction: all of it or nothing.

    `200 SUCCESS` carries the customer; `400 MANDATORY_FIELD_MISSING`, `INVALID_MASTER_DATA`
    (a country, nationality, ID type, KYC level, screening status, gender or phone number not
    in the reference lists) and `INVALID_FIELD_VALUE` (a malformed or impossible value) name
    the `fields`; `406 UNDER_INVESTIGATION` / `BLOCKED` (flagged by the issuer); `409
    CUSTOMER_UPDATE_FAILED` (the update would change the verified identity — names, date of
    birth, nationality, email — or the email is another customer's, naming the `fields`);
    `502 INTERNAL_ERROR`."""
    try:
        onboarded = await service.onboard(
            session,
            kit,
            runtime_of(request.app).storage,
            _blind(request),
            institution=caller.institution,
            partner=caller.workspace,
            checked=checks.check_onboarding(
                caller.institution,
                body,
                image_max_bytes=kit.settings.onboarding_image_max_bytes,
            ),
        )
        data = s.OnboardingOut.from_onboarded(onboarded)
    except Refusal as refusal:
        await roll_back(session)
        return answer(refusal.case, fields=refusal.fields)
    except OnboardingRefused as refused:
        await roll_back(session)
        return answer(ONBOARD_REFUSALS[refused.reason], fields=refused.fields)
    except Exception as exc:
        logger.error("customer onboarding failed: %s", type(exc).__name__)
        await roll_back(session)
        return answer(s.ONBOARD_INTERNAL)
    return answer(s.SUCCESS, data)


STATUS_CASES = (
    s.SUCCESS,
    s.STATUS_NOT_SUBSCRIBED,
    s.STATUS_NOT_FOUND,
    s.STATUS_BAD_REQUEST,
    s.STATUS_INTERNAL,
)


@router.get(
    "/subscription/status",
    response_model=None,
    responses=s.responses(
        "SubscriptionStatus", *STATUS_CASES, *AUTH_CASES, *COMMON_CASES, data={200: s.CustomerOut}
    ),
    summary="Subscription status",
)
@refuses_malformed_as(s.STATUS_BAD_REQUEST)
async def subscription_status(
    caller: OnboardingRead,
    session: SessionDep,
    customer_id: Annotated[
        str,
        Query(
            alias="customerId",
            pattern=r"^[A-Za-z0-9]{1,64}$",
            description="The customerId onboarding answered (or the customer gave)",
        ),
    ],
) -> Response:
    """The customer's subscription to this partner. `200 SUCCESS` carries the customer;
    `200 CUSTOMER_NOT_SUBSCRIBED` (a customer of the institution with no subscription to this
    partner: onboard it) and `200 CUSTOMER_NOT_FOUND` carry `data: null`; a missing or
    malformed `customerId` is `400 BAD_REQUEST`. By customerId, not by ID number: a query
    string ends up in access logs."""
    try:
        standing, found = await service.subscription_status(
            session,
            institution=caller.institution,
            workspace=caller.workspace,
            customer_id=customer_id,
        )
        customer = s.CustomerOut.from_customer(found) if found is not None else None
    except Exception as exc:
        logger.error("subscription status failed: %s", type(exc).__name__)
        await roll_back(session)
        return answer(s.STATUS_INTERNAL)
    return answer(STATUS_ANSWERS[standing], customer)
