import json
from tests.money.conftest import Money
from tests.factories.money import create_recharge_channel, create_withdrawal_channel


async def raw(user, path, text):
    return await user.portal.http.post(
        user.portal.prefix + path,
        content=text,
        headers={**user.portal.headers(user.token), "content-type": "application/json"},
    )


async def test_probe(money: Money) -> None:
    ch = await create_recharge_channel(
        money.session, institution_id=money.institution.institution_id
    )
    await money.session.commit()
    for t in ["1e3", "NaN", "Infinity", "100.10", "1E2", "0.1e1", "1.0e-2", "100.000", "1e-7"]:
        r = await raw(
            money.alice, "/recharges/quote", '{"channelBizId":"%s","amount":%s}' % (ch.biz_id, t)
        )
        print(t, r.status_code, r.json()["code"], r.json()["data"])
    r = await money.alice.post("/recharges", {"channelBizId": ch.biz_id, "amount": "10"})
    bid = r.json()["data"]["bizId"]
    r = await money.alice.portal.http.post(
        money.alice.portal.prefix + f"/recharges/{bid}/cancel",
        headers=money.alice.portal.headers(money.alice.token),
    )
    print("cancel nobody", r.status_code, r.json())
    r = await money.alice.post(
        "/withdrawal-channels",
        {
            "channelType": "BANK_TRANSFER",
            "channelName": "x" * 150,
            "currency": "USD",
            "accountName": "A",
            "accountNumber": "12345678",
        },
    )
    print("long name", r.status_code, r.json())
