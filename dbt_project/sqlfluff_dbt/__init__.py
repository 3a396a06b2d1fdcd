"""What the models need from dbt when sqlfluff renders them with its jinja templater (`.sqlfluff`).

sqlfluff loads this package as its `library_path`: every public name here is a jinja global. With
`load_macros_from_path = macros` the project's own macros render as dbt would on dbt-duckdb, so the linted SQL
is the SQL dbt runs (no stand-in macros to keep in step). dbt's dispatch, `return`, the `fraudbrain.` and
`dbt.` namespaces and `var` are emulated here; `ref`, `source`, `config`, `this` and `is_incremental` come from
sqlfluff (`apply_dbt_builtins`). The dbt templater would need a live profile (a work database).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import yaml
from jinja2 import pass_context

_PROJECT = Path(__file__).resolve().parent.parent
_VARS = yaml.safe_load((_PROJECT / "dbt_project.yml").read_text())["vars"]


def _return(value):
    # dbt's `return()` ends the macro with a value; rendered as `{{ return(x) }}` it is the value.
    return value


globals()["return"] = _return


def var(name, default=None):
    """`var()` with the project's values (dbt_project.yml): some models loop over them."""
    return _VARS.get(name, default)


@pass_context
def _dispatch(context, macro_name, macro_namespace=None):
    """`adapter.dispatch` on dbt-duckdb: `duckdb__<name>`, then `default__<name>`."""
    for prefix in ("duckdb__", "default__"):
        macro = context.get(prefix + macro_name)
        if macro is not None:
            return macro
    raise LookupError(f"no duckdb__ or default__ implementation of macro {macro_name!r}")


adapter = SimpleNamespace(
    dispatch=_dispatch,
    # the incremental macros read the built table's columns: none (the first build's SQL)
    get_columns_in_relation=lambda relation: [],
)


class _ProjectMacros:
    """`fraudbrain.<macro>(...)`: the project's macro of that name."""

    def __getattr__(self, name):
        @pass_context
        def call(context, *args, **kwargs):
            return context[name](*args, **kwargs)

        return call


fraudbrain = _ProjectMacros()

# dbt's cross-database macros the project calls, as dbt-duckdb 1.11 renders them
dbt = SimpleNamespace(
    hash=lambda field: f"md5(cast({field} as varchar))",
    date_trunc=lambda datepart, date: f"date_trunc('{datepart}', {date})",
    datediff=lambda first, second, datepart: f"(date_diff('{datepart}', {first}::timestamp, {second}::timestamp))",
    dateadd=lambda datepart, interval, from_date: f"({from_date} + cast({interval} as bigint) * interval 1 {datepart})",
)
