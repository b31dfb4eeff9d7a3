"""The shapes of the service's JSON, as the OpenAPI document declares them.

These pydantic models exist for the document only (`central/openapi.py` turns them into
its components): no request body is ever parsed by them. Bodies are read by
`central.http.json_body` with exact decimals and checked by the core's own parsers,
which name the bad field; answers are written by `pos_loyalty.jsonio`. So a field here
is named as it travels (camelCase), and a decimal is declared as what it is on the wire,
a JSON number (`0.10` stays `0.10`), with its places and limits, never as text.

Request models refuse unknown fields (`additionalProperties: false`) where the service
does; answer models list every field they always carry as required (nullable where it
may be null), so a field the service adds or drops without saying so here fails the
contract test (`tests/central/test_openapi_contract.py`).

One module per part of the service, as the routes are split: `values` (decimals, ids,
text), `service` (errors, health), `config`, `cards`, `billing`, `sync`.
"""
