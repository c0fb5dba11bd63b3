"""The pages of both portals: each a template, the API reads it shows and the API calls of its
forms. Nothing here decides a business question; the API answers every one."""

from __future__ import annotations

import json
from typing import Any

import segno
from markupsafe import Markup
from starlette.responses import Response

from portico.enums import AccountPortal
from portico.pages.api import ApiResult
from portico.pages.framework import PAGES, Act, Ctx, Form, Page

CONSUMER, PARTNER = AccountPortal.CONSUMER, AccountPortal.PARTNER
PAGE_SIZE = 10
EXPORT_TYPES = ("WALLET_FLOWS", "TRANSFERS", "RECHARGES", "WITHDRAWALS", "EXCHANGES")
EXPORT_FORMATS = ("CSV", "XLSX")


def page(*args: Any, **kwargs: Any) -> Page:
    p = Page(*args, **kwargs)
    PAGES.append(p)
    return p


async def nothing(ctx: Ctx) -> dict[str, Any]:
    return {}


def items(result: ApiResult) -> list[Any]:
    if not result.ok or result.data is None:
        return []
    if isinstance(result.data, list):
        return result.data
    return list(result.data.get("items") or [])


def paging(result: ApiResult) -> dict[str, Any] | None:
    if result.ok and isinstance(result.data, dict):
        pagination: dict[str, Any] | None = result.data.get("pagination")
        return pagination
    return None


async def wallets(ctx: Ctx) -> ApiResult:
    return await ctx.api.get("/wallets")


# --- sign-up, sign-in, password reset ------------------------------------------------------


async def after_login(ctx: Ctx, result: ApiResult, form: Form) -> Response:
    ctx.state.pending_login = result.data["sessionId"]
    ctx.state.pending_methods = [m["code"] for m in result.data.get("mfaMethods") or []]
    ctx.state.email = form.s("email")
    ctx.state.changed = True
    return ctx.redirect("/sign-in/verify")


async def after_signed_in(ctx: Ctx, result: ApiResult, form: Form) -> Response:
    ctx.api.signed_in(result.data)
    ctx.state.pending_login = ctx.state.pending_register = None
    ctx.state.pending_methods = []
    return ctx.redirect("/")


async def after_register(ctx: Ctx, result: ApiResult, form: Form) -> Response:
    ctx.state.pending_register = result.data["sessionId"]
    ctx.state.email = form.s("email")
    ctx.state.changed = True
    return ctx.redirect("/sign-up/verify")


async def load_verify(ctx: Ctx) -> dict[str, Any]:
    methods = ctx.state.pending_methods or ["EMAIL"]
    return {"methods": methods, "pending": ctx.state.pending_login is not None}


async def load_register_verify(ctx: Ctx) -> dict[str, Any]:
    return {"pending": ctx.state.pending_register is not None}


async def load_reset(ctx: Ctx) -> Any:
    token = ctx.query("token")
    if token:
        # The link's token leaves the address bar at once: kept in the sealed cookie instead.
        ctx.state.reset_token = token
        ctx.state.changed = True
        return ctx.redirect("/reset-password")
    return {"has_token": ctx.state.reset_token is not None}


async def after_reset(ctx: Ctx, result: ApiResult, form: Form) -> Response:
    ctx.state.reset_token = None
    ctx.state.add_flash(ctx.t("reset.done"))
    return ctx.redirect("/sign-in")


async def after_forgot(ctx: Ctx, result: ApiResult, form: Form) -> Response:
    ctx.state.add_flash(str(result.data.get("message") or ctx.t("forgot.sent")))
    return ctx.redirect("/forgot-password")


async def sign_out(ctx: Ctx, form: Form) -> ApiResult:
    result = await ctx.api.post("/auth/logout")
    ctx.state.sign_out()
    return result


async def after_sign_out(ctx: Ctx, result: ApiResult, form: Form) -> Response:
    ctx.state.add_flash(ctx.t("sign_out.done"))
    return ctx.redirect("/sign-in")


async def load_landing_redirect(ctx: Ctx) -> Any:
    return ctx.redirect("/dashboard" if ctx.state.signed_in else "/sign-in")


page("portal", "/", "home.html", load_landing_redirect, public=True)
page(
    "sign_in",
    "/sign-in",
    "sign_in.html",
    nothing,
    {
        "login": Act(
            "/auth/login/initiate",
            lambda f, c: {"email": f.s("email"), "password": f.s("password")},
            after=after_login,
            public=True,
            codes={"AUTH.INVALID_CREDENTIALS": "password"},
        )
    },
    public=True,
)
page(
    "sign_in_verify",
    "/sign-in/verify",
    "sign_in_verify.html",
    load_verify,
    {
        "verify": Act(
            "/auth/login/verify",
            lambda f, c: {
                "sessionId": c.state.pending_login,
                "mfaMethod": f.s("mfaMethod"),
                "code": f.s("code"),
            },
            after=after_signed_in,
            public=True,
            codes={"AUTH.MFA_CODE_INVALID": "code", "AUTH.SESSION_NOT_FOUND": "code"},
        ),
        "resend": Act(
            "/auth/login/resend",
            lambda f, c: {"sessionId": c.state.pending_login},
            done="verify.resent",
            public=True,
        ),
    },
    public=True,
)
page(
    "sign_up",
    "/sign-up",
    "sign_up.html",
    nothing,
    {
        "register": Act(
            "/auth/register/initiate",
            lambda f, c: {
                k: v
                for k, v in {
                    "email": f.s("email"),
                    "password": f.s("password"),
                    "accountName": f.s("accountName"),
                    "referralCode": f.s("referralCode"),
                }.items()
                if v is not None or k in ("email", "password")
            },
            after=after_register,
            public=True,
        )
    },
    public=True,
)
page(
    "sign_up_verify",
    "/sign-up/verify",
    "sign_up_verify.html",
    load_register_verify,
    {
        "verify": Act(
            "/auth/register/verify",
            lambda f, c: {"sessionId": c.state.pending_register, "code": f.s("code")},
            after=after_signed_in,
            public=True,
            codes={"AUTH.MFA_CODE_INVALID": "code", "AUTH.SESSION_NOT_FOUND": "code"},
        )
    },
    public=True,
)
page(
    "forgot",
    "/forgot-password",
    "forgot.html",
    nothing,
    {
        "forgot": Act(
            "/auth/password/forgot",
            lambda f, c: {"email": f.s("email")},
            after=after_forgot,
            public=True,
        )
    },
    public=True,
)
page(
    "reset",
    "/reset-password",
    "reset.html",
    load_reset,
    {
        "reset": Act(
            "/auth/password/reset",
            lambda f, c: {"token": c.state.reset_token, "newPassword": f.s("newPassword")},
            after=after_reset,
            public=True,
            codes={"AUTH.RESET_TOKEN_INVALID": "newPassword"},
        )
    },
    public=True,
)
page(
    "sign_out",
    "/sign-out",
    "home.html",
    load_landing_redirect,
    {"sign_out": Act("/auth/logout", call=sign_out, after=after_sign_out)},
)


# --- dashboard ----------------------------------------------------------------------------


async def load_dashboard(ctx: Ctx) -> dict[str, Any]:
    wallet_list = await wallets(ctx)
    rows = items(wallet_list)
    chosen = ctx.query("wallet") or (rows[0]["bizId"] if rows else None)
    flows: ApiResult | None = None
    chart: list[dict[str, str]] = []
    if chosen:
        flows = await ctx.api.get(f"/wallets/{chosen}/flows", page=1, pageSize=50)
        chart = [{"t": f["createdAt"], "v": f["balanceAfter"]} for f in reversed(items(flows))]
    currency = next((w["currency"] for w in rows if w["bizId"] == chosen), "")
    return {
        "wallets": wallet_list,
        "wallet_rows": rows,
        "chosen": chosen,
        "currency": currency,
        "flows": flows,
        "chart_json": json.dumps(chart),
    }


page("dashboard", "/dashboard", "dashboard.html", load_dashboard, nav="nav.dashboard")


# --- money --------------------------------------------------------------------------------


def transfer_path(ctx: Ctx) -> str:
    return "/transfer" if ctx.portal == CONSUMER else "/transfers"


async def load_transfer(ctx: Ctx) -> dict[str, Any]:
    orders = await ctx.api.get(
        f"{transfer_path(ctx)}/query/orders",
        status=ctx.query("status"),
        walletBizId=ctx.query("walletBizId"),
        page=ctx.page_number(),
        pageSize=PAGE_SIZE,
    )
    wallet_list = await wallets(ctx)
    return {"wallets": items(wallet_list), "orders": orders, "statuses": TRANSFER_STATUSES}


TRANSFER_STATUSES = ("PENDING", "COMPLETED", "FAILED")


def transfer_body(f: Form, c: Ctx) -> dict[str, Any]:
    to = f.s("to") or ""
    body: dict[str, Any] = {
        "fromWalletBizId": f.s("fromWalletBizId"),
        "amount": f.s("amount"),
        "remark": f.s("remark"),
        "clientReference": f.s("clientReference"),
    }
    if "@" in to:
        body["toAccountEmail"] = to
    else:
        body["toWalletBizId"] = to or None
    return body


page(
    "transfer",
    "/transfer",
    "transfer.html",
    load_transfer,
    {
        "transfer": Act(
            lambda f, c: f"{transfer_path(c)}/command/create",
            transfer_body,
            done="transfer.done",
            fields={"toAccountEmail": "to", "toWalletBizId": "to"},
            codes={
                "TRANSFER.RECIPIENT_NOT_FOUND": "to",
                "TRANSFER.SAME_WALLET": "to",
                "WALLET.INSUFFICIENT_BALANCE": "amount",
            },
        )
    },
    nav="nav.transfer",
)


async def load_exchange(ctx: Ctx) -> dict[str, Any]:
    wallet_list = await wallets(ctx)
    channels = await ctx.api.get("/recharges/available-channels")
    currencies = sorted(
        {w["currency"] for w in items(wallet_list)} | {c["currency"] for c in items(channels)}
    )
    exchanges = await ctx.api.get(
        "/exchanges",
        walletBizId=ctx.query("walletBizId"),
        page=ctx.page_number(),
        pageSize=PAGE_SIZE,
    )
    return {"wallets": items(wallet_list), "currencies": currencies, "exchanges": exchanges}


async def after_quote(ctx: Ctx, result: ApiResult, form: Form) -> Response:
    return await ctx.render(quote=result.data)


page(
    "exchange",
    "/exchange",
    "exchange.html",
    load_exchange,
    {
        "quote": Act(
            "/exchanges/quote",
            lambda f, c: {
                "fromCurrency": f.s("fromCurrency"),
                "toCurrency": f.s("toCurrency"),
                "amount": f.s("amount"),
                "side": f.s("side") or "SELL",
            },
            after=after_quote,
        ),
        "confirm": Act(
            "/exchanges", lambda f, c: {"quoteId": f.s("quoteId")}, done="exchange.done"
        ),
    },
    nav="nav.exchange",
)


async def load_recharge(ctx: Ctx) -> dict[str, Any]:
    channels = await ctx.api.get("/recharges/available-channels")
    recharges = await ctx.api.get(
        "/recharges",
        status=ctx.query("status"),
        page=ctx.page_number(),
        pageSize=PAGE_SIZE,
    )
    return {"channels": channels, "recharges": recharges, "statuses": RECHARGE_STATUSES}


RECHARGE_STATUSES = ("PENDING", "PROCESSING", "COMPLETED", "REJECTED", "CANCELLED", "EXPIRED")


def recharge_body(f: Form, c: Ctx) -> dict[str, Any]:
    return {"channelBizId": f.s("channelBizId"), "amount": f.s("amount"), "remark": f.s("remark")}


async def after_recharge_quote(ctx: Ctx, result: ApiResult, form: Form) -> Response:
    return await ctx.render(recharge_quote=result.data)


async def after_recharge(ctx: Ctx, result: ApiResult, form: Form) -> Response:
    ctx.state.add_flash(ctx.t("recharge.created"))
    return ctx.redirect(f"/recharges/{result.data['bizId']}")


page(
    "recharge",
    "/recharge",
    "recharge.html",
    load_recharge,
    {
        "quote": Act(
            "/recharges/quote",
            lambda f, c: {"channelBizId": f.s("channelBizId"), "amount": f.s("amount")},
            after=after_recharge_quote,
        ),
        "create": Act("/recharges", recharge_body, after=after_recharge),
    },
    nav="nav.recharge",
)


async def load_recharge_detail(ctx: Ctx) -> dict[str, Any]:
    return {"recharge": await ctx.api.get(f"/recharges/{ctx.params['biz_id']}")}


async def upload_proof(ctx: Ctx, form: Form) -> ApiResult:
    upload = form.file("file")
    files = None
    if upload is not None:
        files = {"file": (upload.filename, await upload.read(), upload.content_type)}
    uploaded = await ctx.api.call(
        "POST", "/files/upload", data={"purpose": "RECHARGE_PROOF"}, files=files or {}
    )
    if not uploaded.ok:
        return uploaded
    return await ctx.api.post(
        f"/recharges/{ctx.params['biz_id']}/proof", {"fileBizId": uploaded.data["bizId"]}
    )


page(
    "recharge_detail",
    "/recharges/{biz_id}",
    "recharge_detail.html",
    load_recharge_detail,
    {
        "proof": Act("", call=upload_proof, done="recharge.proof_done"),
        "cancel": Act(
            lambda f, c: f"/recharges/{c.params['biz_id']}/cancel", done="recharge.cancelled"
        ),
    },
)


async def load_withdraw(ctx: Ctx) -> dict[str, Any]:
    return {
        "wallets": items(await wallets(ctx)),
        "channels": await ctx.api.get("/withdrawal-channels"),
        "withdrawals": await ctx.api.get(
            "/withdrawals",
            status=ctx.query("status"),
            page=ctx.page_number(),
            pageSize=PAGE_SIZE,
        ),
        "statuses": WITHDRAWAL_STATUSES,
    }


WITHDRAWAL_STATUSES = ("PENDING", "PROCESSING", "COMPLETED", "REJECTED", "CANCELLED")

page(
    "withdraw",
    "/withdraw",
    "withdraw.html",
    load_withdraw,
    {
        "channel": Act(
            "/withdrawal-channels",
            lambda f, c: {
                "channelType": f.s("channelType") or "BANK_TRANSFER",
                "channelName": f.s("channelName"),
                "currency": f.s("currency"),
                "accountName": f.s("accountName"),
                "accountNumber": f.s("accountNumber"),
                "bankName": f.s("bankName"),
                "isDefault": f.s("isDefault") == "on",
            },
            done="withdraw.channel_added",
        ),
        "create": Act(
            "/withdrawals",
            lambda f, c: {
                "walletBizId": f.s("walletBizId"),
                "withdrawalChannelBizId": f.s("withdrawalChannelBizId"),
                "amount": f.s("amount"),
                "remark": f.s("remark"),
            },
            done="withdraw.created",
        ),
        "cancel": Act(
            lambda f, c: f"/withdrawals/{f.s('_item')}/cancel", done="withdraw.cancelled"
        ),
    },
    nav="nav.withdraw",
)


# --- security -----------------------------------------------------------------------------


def qr_svg(uri: str) -> Markup:
    """The otpauth URI as an inline SVG QR code (segno): no script, no image request."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return Markup(svg)  # noqa: S704 - segno's own markup of a URI we were given


async def load_security(ctx: Ctx) -> dict[str, Any]:
    return {
        "mfa": await ctx.api.get("/security/mfa"),
        "backup": await ctx.api.get("/security/mfa/backup-codes"),
        "profile": await ctx.api.get("/profile"),
    }


async def after_totp_setup(ctx: Ctx, result: ApiResult, form: Form) -> Response:
    return await ctx.render(totp=result.data, totp_qr=qr_svg(result.data["qrCodeUri"]))


async def after_backup(ctx: Ctx, result: ApiResult, form: Form) -> Response:
    codes = result.data["codes"]
    return await ctx.render(backup_codes=codes, backup_text="\n".join(codes) + "\n")


async def after_password(ctx: Ctx, result: ApiResult, form: Form) -> Response:
    ctx.state.add_flash(ctx.t("security.password_done"))
    return ctx.redirect("/security")


page(
    "security",
    "/security",
    "security.html",
    load_security,
    {
        "totp_setup": Act("/security/mfa/otp/setup", after=after_totp_setup),
        "totp_verify": Act(
            "/security/mfa/otp/verify",
            lambda f, c: {"code": f.s("code")},
            done="security.totp_enabled",
            codes={"MFA.CODE_INVALID": "code"},
        ),
        "totp_revoke": Act(
            "/security/mfa/otp/revoke",
            lambda f, c: {"code": f.s("code")},
            done="security.totp_revoked",
            codes={"MFA.CODE_INVALID": "code"},
        ),
        "backup": Act("/security/mfa/backup-codes/generate", after=after_backup),
        "password": Act(
            "/security/password/change",
            lambda f, c: {
                "currentPassword": f.s("currentPassword"),
                "newPassword": f.s("newPassword"),
            },
            after=after_password,
            codes={"AUTH.PASSWORD_INCORRECT": "currentPassword"},
        ),
        "profile": Act(
            "/profile/update",
            lambda f, c: {"accountName": f.s("accountName"), "accountPhone": f.s("accountPhone")},
            done="security.profile_done",
        ),
    },
    nav="nav.security",
)


async def load_sessions(ctx: Ctx) -> dict[str, Any]:
    return {
        "sessions": await ctx.api.get("/security/sessions"),
        "config": await ctx.api.get("/security/sessions/config"),
        "history": await ctx.api.get(
            "/security/sessions/history", page=ctx.page_number(), pageSize=PAGE_SIZE
        ),
    }


async def after_terminate_all(ctx: Ctx, result: ApiResult, form: Form) -> Response:
    ctx.state.add_flash(ctx.t("sessions.all_done", count=result.data.get("terminatedSessions", 0)))
    return ctx.redirect("/sessions")


page(
    "sessions",
    "/sessions",
    "sessions.html",
    load_sessions,
    {
        "terminate": Act(
            "/security/sessions/terminate",
            lambda f, c: {"sessionId": f.s("_item")},
            done="sessions.terminated",
        ),
        "terminate_all": Act("/security/sessions/terminate-all", after=after_terminate_all),
        "config": Act(
            "/security/sessions/config",
            lambda f, c: {"maxConcurrentSessions": f.s("maxConcurrentSessions")},
            done="sessions.config_done",
        ),
    },
    nav="nav.sessions",
)

page(
    "ip_whitelist",
    "/ip-whitelist",
    "ip_whitelist.html",
    lambda ctx: _one(ctx, "whitelist", "/security/ip-whitelist"),
    {
        "save": Act(
            "/security/ip-whitelist",
            lambda f, c: {"ips": f.lines("ips")},
            done="ip.saved",
        ),
        "enable": Act("/security/ip-whitelist/enable", done="ip.enabled"),
        "disable": Act("/security/ip-whitelist/disable", done="ip.disabled"),
    },
    nav="nav.ip",
)


async def _one(ctx: Ctx, name: str, path: str) -> dict[str, Any]:
    return {name: await ctx.api.get(path)}


# --- workspace ----------------------------------------------------------------------------


async def load_workspace(ctx: Ctx) -> dict[str, Any]:
    return {
        "current": await ctx.api.get("/workspaces/current"),
        "mine": await ctx.api.get("/workspaces/mine"),
        "members": await ctx.api.get("/workspaces/current/members"),
        "roles": await ctx.api.get("/roles"),
        "sent": await ctx.api.get("/invitations"),
        "received": await ctx.api.get("/profile/invitations"),
    }


async def switch_workspace(ctx: Ctx, form: Form) -> ApiResult:
    """Choose the workspace the next calls name (`X-Workspace-Id`); the API checks it."""
    previous = ctx.state.workspace
    ctx.state.workspace = form.s("workspace")
    ctx.state.changed = True
    result = await ctx.api.get("/workspaces/current")
    if not result.ok:
        ctx.state.workspace = previous
    return result


page(
    "workspace",
    "/workspace",
    "workspace.html",
    load_workspace,
    {
        "switch": Act("", call=switch_workspace, done="workspace.switched"),
        "default": Act("/workspaces/current/default", done="workspace.default_done"),
        "create": Act(
            "/workspaces",
            lambda f, c: {
                "workspaceName": f.s("workspaceName"),
                "workspaceKind": f.s("workspaceKind") or "LIVE",
            },
            done="workspace.created",
        ),
        "update": Act(
            "/workspaces/current/update",
            lambda f, c: {"workspaceName": f.s("workspaceName")},
            done="workspace.updated",
        ),
        "invite": Act(
            "/invitations",
            lambda f, c: {"email": f.s("email"), "roleId": f.s("roleId")},
            done="workspace.invited",
        ),
        "cancel_invite": Act(
            "/invitations/cancel",
            lambda f, c: {"invitationBizId": f.s("_item")},
            done="workspace.invite_cancelled",
        ),
        "accept": Act(
            "/profile/invitations/accept",
            lambda f, c: {"invitationBizId": f.s("_item")},
            done="workspace.accepted",
        ),
        "decline": Act(
            "/profile/invitations/decline",
            lambda f, c: {"invitationBizId": f.s("_item"), "reason": f.s("reason")},
            done="workspace.declined",
        ),
        "remove_member": Act(
            "/workspaces/current/members/remove",
            lambda f, c: {"userBizId": f.s("_item")},
            done="workspace.member_removed",
        ),
        "change_role": Act(
            "/roles/members/role/change",
            lambda f, c: {"userBizId": f.s("_item"), "roleId": f.s("roleId")},
            done="workspace.role_changed",
        ),
        "leave": Act("/workspaces/current/leave", done="workspace.left"),
        "sandbox_reset": Act("/sandbox/reset", done="workspace.sandbox_reset_done"),
    },
    nav="nav.workspace",
)


async def load_roles(ctx: Ctx) -> dict[str, Any]:
    roles = await ctx.api.get("/roles")
    tree = await ctx.api.get("/roles/permissions/tree")
    return {"roles": roles, "tree": items(tree), "permissions": flatten(items(tree))}


def flatten(nodes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The permission tree's codes, parents before children, as (code, name) pairs."""
    out: list[tuple[str, str]] = []
    for node in nodes:
        out.append((node["permissionCode"], node.get("permissionName") or node["permissionCode"]))
        out.extend(flatten(node.get("children") or []))
    return out


page(
    "roles",
    "/roles",
    "roles.html",
    load_roles,
    {
        "create": Act(
            "/roles",
            lambda f, c: {"roleName": f.s("roleName"), "description": f.s("description")},
            done="roles.created",
        ),
        "update": Act(
            "/roles/update",
            lambda f, c: {
                "roleId": f.s("roleId"),
                "roleName": f.s("roleName"),
                "description": f.s("description"),
            },
            done="roles.updated",
            codes={"ROLE.NAME_TAKEN": "roleName", "ROLE.BUILTIN_IMMUTABLE": "roleId"},
        ),
        "delete": Act("/roles/delete", lambda f, c: {"roleId": f.s("_item")}, done="roles.deleted"),
        "permissions": Act(
            "/roles/permissions",
            lambda f, c: {"roleId": f.s("_item"), "permissionCodes": f.all("permissionCodes")},
            done="roles.permissions_done",
        ),
    },
    nav="nav.roles",
)


async def load_api_keys(ctx: Ctx) -> dict[str, Any]:
    return {
        "keys": await ctx.api.get("/api-keys"),
        "available": await ctx.api.get("/api-keys/available-permissions"),
    }


async def after_api_key(ctx: Ctx, result: ApiResult, form: Form) -> Response:
    return await ctx.render(created_key=result.data)


page(
    "api_keys",
    "/api-keys",
    "api_keys.html",
    load_api_keys,
    {
        "create": Act(
            "/api-keys",
            lambda f, c: {
                "name": f.s("name"),
                "scopes": f.all("scopes"),
                "ipWhitelist": f.lines("ipWhitelist") or None,
            },
            after=after_api_key,
        ),
        "enable": Act(
            "/api-keys/enable", lambda f, c: {"apiKeyId": f.s("_item")}, done="keys.enabled"
        ),
        "disable": Act(
            "/api-keys/disable", lambda f, c: {"apiKeyId": f.s("_item")}, done="keys.disabled"
        ),
        "delete": Act(
            "/api-keys/delete", lambda f, c: {"apiKeyId": f.s("_item")}, done="keys.deleted"
        ),
    },
    nav="nav.api_keys",
)


# --- exports and referrals ----------------------------------------------------------------


async def load_exports(ctx: Ctx) -> dict[str, Any]:
    return {
        "exports": await ctx.api.get("/exports", page=ctx.page_number(), pageSize=PAGE_SIZE),
        "types": EXPORT_TYPES,
        "formats": EXPORT_FORMATS,
    }


page(
    "exports",
    "/exports",
    "exports.html",
    load_exports,
    {
        "create": Act(
            "/exports",
            lambda f, c: {"exportType": f.s("exportType"), "format": f.s("format")},
            done="exports.created",
        )
    },
    nav="nav.exports",
)


async def load_referrals(ctx: Ctx) -> dict[str, Any]:
    number = ctx.page_number()
    return {
        "code": await ctx.api.get("/referral-codes/mine"),
        "count": await ctx.api.get("/referrals/mine/count"),
        "referrals": await ctx.api.post(
            "/referrals/mine/query", {"page": number - 1, "size": PAGE_SIZE}
        ),
    }


page(
    "referrals",
    "/referrals",
    "referrals.html",
    load_referrals,
    {
        "create": Act(
            "/referral-codes",
            lambda f, c: {"code": f.s("code"), "extraData": f.s("extraData")},
            done="referrals.created",
        ),
        "activate": Act(
            "/referral-codes/activate",
            lambda f, c: {"bizId": f.s("_item")},
            done="referrals.activated",
        ),
        "deactivate": Act(
            "/referral-codes/deactivate",
            lambda f, c: {"bizId": f.s("_item")},
            done="referrals.deactivated",
        ),
        "note": Act(
            "/referral-codes/update",
            lambda f, c: {"bizId": f.s("codeBizId"), "extraData": f.s("extraData")},
            done="referrals.noted",
        ),
    },
    portals=(PARTNER,),
    nav="nav.referrals",
)
