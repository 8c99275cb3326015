"""A script that uses leadkit's public API as an analyst's notebook does, for mypy: scripts/test
runs ``python -m mypy python/tests/typing/public_api.py`` and expects no error, so the
annotations of the package and of its extension's stubs (``_core.pyi``) fit real use. It is
also run by test_typing.py, so what it does is checked to work."""

from __future__ import annotations

import pandas as pd

import leadkit
import leadkit.synth
from leadkit import (AuditState, EffectivenessState, KpiState, Policy, Router, Scope,
                     ShowroomState)


def main() -> dict[str, int]:
    policy: Policy = Policy.preset("abcd")
    data = leadkit.synth.generate(leads=200, dealers=3, seed=5, grades=tuple(policy.grades))
    leads: pd.DataFrame = data.leads
    touches: pd.DataFrame = data.touches
    as_of = pd.Timestamp(leads["created_at"].max())

    graded: pd.DataFrame = leadkit.classify(leads, policy)
    explained = policy.explain(leads.iloc[0].to_dict())
    tasks: pd.DataFrame = leadkit.schedule(leads, touches, policy, as_of=as_of)
    actions: pd.DataFrame = leadkit.next_actions(leads, touches, policy, as_of=as_of)

    kpis: pd.DataFrame = leadkit.kpis(leads, touches, policy, by="dealer_id", as_of=as_of)
    state = KpiState(by=["dealer_id"]).add(leads, touches, policy, as_of=as_of)
    merged = KpiState.from_bytes(state.to_bytes()) + state
    audit: pd.DataFrame = leadkit.audit(leads, touches, policy, as_of=as_of,
                                        phone_key=bytes(16))
    audit_state = AuditState(phone_key=bytes(16)).add(leads, touches, policy, as_of=as_of)
    actions_table: pd.DataFrame = leadkit.effectiveness(leads, touches, view="action",
                                                        as_of=as_of, policy=policy)
    effect = EffectivenessState("interval").add(leads, touches, as_of=as_of)
    showroom: pd.DataFrame = leadkit.showroom(data.visits, leads=leads, as_of=as_of)
    in_scope: pd.DataFrame = leadkit.kpis(leads, touches, policy, as_of=as_of,
                                          scope=Scope.dealer(str(data.dealers["dealer_id"][0])),
                                          dealers=data.dealers)

    router = Router(data.dealers, data.consultants, policy, phone_key=bytes(16))
    routed: pd.DataFrame = leadkit.route(leads.head(20), data.dealers, data.consultants, policy)
    saved: bytes = router.save()

    proposed = Policy.preset("three_level")
    backtested: leadkit.Backtest = leadkit.backtest(leads, touches,
                                                    {"current": policy, "proposed": proposed},
                                                    as_of=as_of)
    backtest_summary: pd.DataFrame = backtested.summary
    learned: leadkit.LearnedScoring = leadkit.learn_scoring(leads, as_of=as_of, base=policy,
                                                            on_insufficient="base")
    learned_policy: Policy = learned.policy
    return {"graded": len(graded), "reasons": len(explained.reasons), "tasks": len(tasks),
            "actions": len(actions), "kpis": len(kpis), "merged": len(merged.finalize()),
            "audit": len(audit), "audit_state": len(audit_state.finalize()),
            "action_rows": len(actions_table), "intervals": len(effect.finalize()),
            "showroom": len(showroom), "in_scope": len(in_scope), "routed": len(routed),
            "saved": len(saved), "backtest": len(backtest_summary),
            "learned_grades": len(learned_policy.grades),
            "fell_back": int(learned.reason is not None),
            "showroom_state": len(ShowroomState().add(data.visits, leads=leads,
                                                      as_of=as_of).finalize())}


if __name__ == "__main__":
    print(main())
