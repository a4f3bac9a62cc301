"""python-dotenv and Python's json reading `ebdb env` outputs, many cases in one process.

Usage: /usr/bin/python3 readers.py <cases.json> <results.json>; each case {id, dotenv?, json}.
"""
import io
import json
import os
import sys

from dotenv import dotenv_values, load_dotenv

cases_file, out_file = sys.argv[1:3]
base = dict(os.environ)
out = {}
for k in json.load(open(cases_file)):
    r = {"python-json": json.loads(k["json"])}
    if k.get("dotenv"):
        r["python-dotenv dotenv_values"] = dict(dotenv_values(stream=io.StringIO(k["dotenv"])))
        os.environ.clear()
        os.environ.update(base)
        load_dotenv(stream=io.StringIO(k["dotenv"]), override=True)
        r["python-dotenv load_dotenv"] = {key: os.environ.get(key) for key in r["python-json"]}
    out[k["id"]] = r
json.dump(out, open(out_file, "w"))
