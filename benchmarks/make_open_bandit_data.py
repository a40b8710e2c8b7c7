"""Build skreweight/datasets/data/open_bandit_men*.csv.gz from Open Bandit Pipeline.

Run in the benchmark environment (obp 0.5.7 installed; it ships the 10,000-row
samples of the Open Bandit Dataset, CC BY 4.0):

    .venv-bench/bin/python benchmarks/make_open_bandit_data.py
"""

from pathlib import Path

import obp
import pandas as pd
from obp.policy import BernoulliTS

OUT = Path(__file__).resolve().parents[1] / "skreweight" / "datasets" / "data"
SRC = Path(obp.__file__).parent / "dataset" / "obd"


def main():
    frames = []
    for policy in ("random", "bts"):
        raw = pd.read_csv(SRC / policy / "men" / "men.csv", index_col=0)
        out = pd.DataFrame(
            {
                "policy": policy,
                "action": raw["item_id"].astype(int),
                "position": raw["position"].astype(int) - 1,  # 0, 1, 2
                "reward": raw["click"].astype(int),
                "logging_proba": raw["propensity_score"],
            }
        )
        frames.append((out, raw))
    # user features are hashed strings: code them as integers shared by both logs
    for j in range(4):
        col = f"user_feature_{j}"
        values = sorted(set(frames[0][1][col]) | set(frames[1][1][col]))
        codes = {v: i for i, v in enumerate(values)}
        for out, raw in frames:
            out[col] = raw[col].map(codes).astype(int)
    table = pd.concat([f for f, _ in frames], ignore_index=True)
    table.to_csv(OUT / "open_bandit_men.csv.gz", index=False, compression="gzip")
    bts = BernoulliTS(
        n_actions=34,
        len_list=3,
        is_zozotown_prior=True,
        campaign="men",
        random_state=12345,
    )
    dist = bts.compute_batch_action_dist(n_rounds=1, n_sim=1_000_000)[0]
    pd.DataFrame(dist, columns=["position_0", "position_1", "position_2"]).to_csv(
        OUT / "open_bandit_men_bts_policy.csv.gz",
        index=False,
        compression="gzip",
        float_format="%.8g",
    )
    print(table.shape, dist.sum(axis=0), obp.__version__)


if __name__ == "__main__":
    main()
