"""The sales REST resources: products and categories (generated, with relations) and
quotes and orders (generated, read-only, with lines and history in a one-record GET)."""

from __future__ import annotations

ORDERS = ("api.me", "orders.view", "orders.create", "orders.edit", "orders.delete")
PRODUCTS = ("api.me", "products.view", "products.create", "products.edit")


def test_orders_are_read_through_the_api_with_lines_and_history(
        token_api, tenant, catalogue, browser_for, new_order, press, make_token, make_user):
    seller = browser_for(tenant, "seller")
    order_id = new_order(seller, catalogue.customer, [(catalogue.laptop, 2),
                                                      (catalogue.tea, 1)])
    press(seller, order_id, "confirm")
    make_user(tenant, "colleague", roles=("staff",), teams=("华南",))
    api = token_api(tenant, make_token(tenant, "seller", ORDERS))
    listed = api("GET", "/sales_orders", {"kind": "order", "state": "confirmed"}).json
    assert [item["id"] for item in listed["items"]] == [order_id]
    order = api("GET", f"/sales_orders/{order_id}").json
    assert order["customer_id"] == catalogue.customer and order["state"] == "confirmed"
    assert [line["product_id"] for line in order["lines"]] == [catalogue.laptop,
                                                                catalogue.tea]
    assert order["lines"][0]["quantity"] in ("2", "2.000") and "total_amount" in \
        order["lines"][0]
    assert [(step["from_state"], step["to_state"]) for step in order["history"]] == [
        (None, "draft"), ("draft", "confirmed")]
    # The order editor and the workflow are the one way to change an order: no such
    # operations (the API answers 404, as for any method a resource does not offer).
    api("POST", "/sales_orders", {"customer_id": catalogue.customer}, status=404)
    api("PATCH", f"/sales_orders/{order_id}", {"state": "paid"}, status=404)
    api("DELETE", f"/sales_orders/{order_id}", status=404)
    other = token_api(tenant, make_token(tenant, "colleague", ORDERS))
    other("GET", f"/sales_orders/{order_id}", status=404)
    assert other("GET", "/sales_orders").json["items"] == []
    document = api("GET", "/openapi.json").json
    paths = document["paths"]
    assert set(paths["/api/v1/sales_orders"]) == {"get"}
    assert set(paths["/api/v1/sales_orders/{id}"]) == {"get"}
    assert "lines" in document["components"]["schemas"]["Order"]["properties"]


def test_products_take_a_category_of_the_tenant(token_api, tenant, catalogue, make_token,
                                                make_user):
    make_user(tenant, "buyer", roles=("manager",))
    api = token_api(tenant, make_token(tenant, "buyer", PRODUCTS))
    [electronics] = [item for item in api("GET", "/sales_categories").json["items"]
                     if item["name"] == "电子产品"]
    body = {"code": "API-1", "name": "接口产品", "list_price": "10.00",
            "category_id": electronics["id"]}
    created = api("POST", "/sales_products", body, status=201).json
    assert created["category_id"] == electronics["id"]
    refused = api("POST", "/sales_products", {**body, "code": "API-2",
                                              "category_id": 2147483647}, status=422).json
    assert set(refused["error"]["fields"]) == {"category_id"}
    taken = api("POST", "/sales_products", body, status=422).json
    assert set(taken["error"]["fields"]) == {"code"}
    assert api("POST", "/sales_products", {**body, "code": "API-3", "list_price": "-1"},
               status=422).json["error"]["fields"]["list_price"]
    listed = api("GET", "/sales_products", {"category_id": str(electronics["id"])}).json
    assert "API-1" in [item["code"] for item in listed["items"]]
    period = {"name": "接口价目表", "valid_from": "2026-02-01", "valid_to": "2026-01-01"}
    refused = api("POST", "/sales_pricelists", period, status=422).json
    assert set(refused["error"]["fields"]) == {"valid_to"}
    created = api("POST", "/sales_pricelists", {**period, "valid_to": None}, status=201).json
    api("PATCH", f"/sales_pricelists/{created['id']}", {"valid_to": "2025-12-31"}, status=422)
