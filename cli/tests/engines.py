#!/usr/bin/env python3
"""Group what `sipline export` wrote in a real engine, and print the counts.

    engines.py ENGINE FORMAT MESSAGES CALLS

ENGINE is duckdb, chdb (ClickHouse's embedded engine) or spark (PySpark,
local mode); FORMAT is parquet, csv or jsonl; MESSAGES and CALLS are the
message rows and the call rows: a file, or a folder of Parquet parts. Prints
one JSON object with the keys of `sipline stats --json` it can be compared
with: responses (code -> count), requests (method -> count), malformed, and
calls: attempts, by_outcome, finals. cli/tests/cli_export.rs runs it.
"""

import json
import os
import sys

QUERIES = {
    "responses": "SELECT response_code, count(*) FROM m WHERE kind = 'response' GROUP BY response_code",
    "requests": "SELECT method, count(*) FROM m WHERE kind = 'request' GROUP BY method",
    "malformed": "SELECT count(*) FROM m WHERE kind = 'error'",
    "attempts": "SELECT count(*) FROM c",
    "by_outcome": "SELECT outcome, count(*) FROM c GROUP BY outcome",
    "finals": "SELECT final_code, count(*) FROM c WHERE final_code IS NOT NULL GROUP BY final_code",
}


def empty(path):
    return os.path.isfile(path) and os.path.getsize(path) == 0


def parquet_glob(path):
    return os.path.join(path, "*.parquet") if os.path.isdir(path) else path


def duckdb_source(fmt, path):
    path = path.replace("'", "''")
    if fmt == "parquet":
        return f"read_parquet('{parquet_glob(path)}')"
    if fmt == "csv":
        return f"read_csv('{path}', header = true)"
    return f"read_json('{path}', format = 'newline_delimited')"


def run_duckdb(fmt, tables):
    import duckdb

    con = duckdb.connect()

    def query(sql):
        for name, path in tables.items():
            sql = sql.replace(f"FROM {name}", f"FROM {duckdb_source(fmt, path)}")
        return con.sql(sql).fetchall()

    return query


def run_chdb(fmt, tables):
    import chdb

    engine = {"parquet": "Parquet", "csv": "CSVWithNames", "jsonl": "JSONEachRow"}[fmt]

    def query(sql):
        for name, path in tables.items():
            src = parquet_glob(path) if fmt == "parquet" else path
            sql = sql.replace(f"FROM {name}", f"FROM file('{src}', {engine})")
        res = chdb.query(sql, "JSONCompact")
        return [tuple(r) for r in json.loads(str(res))["data"]]

    return query


def run_spark(fmt, tables):
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("sipline-export-check")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    for name, path in tables.items():
        if fmt == "parquet":
            df = spark.read.parquet(path)
        elif fmt == "csv":
            df = spark.read.csv(path, header=True, inferSchema=True)
        else:
            df = spark.read.json(path)
        df.createOrReplaceTempView(name)

    def query(sql):
        return [tuple(r) for r in spark.sql(sql).collect()]

    return query


def main():
    engine, fmt, messages, calls = sys.argv[1:5]
    tables = {"m": messages, "c": calls}
    runner = {"duckdb": run_duckdb, "chdb": run_chdb, "spark": run_spark}[engine]
    query = runner(fmt, tables)
    out = {}
    for key, sql in QUERIES.items():
        path = messages if "FROM m" in sql else calls
        rows = [] if empty(path) else query(sql)
        if key in ("malformed", "attempts"):
            out[key] = int(rows[0][0]) if rows else 0
        else:
            out[key] = {str(k): int(n) for k, n in rows}
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
