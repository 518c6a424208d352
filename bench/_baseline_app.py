"""The peer for B6: a bare FastAPI endpoint that reads the body and answers a fixed cXML
Response, served by the same uvicorn settings. It is the framework's ceiling on this machine:
what b2b's ingest costs on top of it is parsing, routing and the durable commit."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

OK = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<cXML payloadID="x" timestamp="t"><Response>'
    b'<Status code="200" text="OK"/></Response></cXML>\n'
)

app = FastAPI()


@app.post("/coupa/cxml")
async def coupa_cxml(request: Request) -> Response:
    await request.body()
    return Response(OK, media_type="text/xml")


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
