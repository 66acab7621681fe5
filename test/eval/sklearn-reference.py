"""Reference values from scikit-learn for test/eval/sklearn.test.ts.

Reads {"scores": [...], "truth": [0/1...], "threshold": t, "logits": [...], "probabilities": [...], "grid": [...]}
from argv[1]; prints one JSON object. Run with Debian's /usr/bin/python3 (python3-sklearn).
"""
import json
import sys
from math import log

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, xlogy
from sklearn.calibration import _sigmoid_calibration, calibration_curve
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

d = json.load(open(sys.argv[1]))
s = np.asarray(d["scores"], dtype=np.float64)
y = np.asarray(d["truth"], dtype=np.int64)
t = float(d["threshold"])
z = np.asarray(d["logits"], dtype=np.float64)
p = np.asarray(d["probabilities"], dtype=np.float64)
grid = np.asarray(d["grid"], dtype=np.float64)
called = (s >= t).astype(np.int64)

fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)

# ECE from calibration_curve's binning (uniform, 10 bins).
n_bins = 10
prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy="uniform")
bins = np.linspace(0.0, 1.0, n_bins + 1)
counts = np.bincount(np.searchsorted(bins[1:-1], p), minlength=n_bins)
counts = counts[counts > 0]
ece = float(np.sum(counts / len(p) * np.abs(prob_true - prob_pred)))

# Platt: scikit-learn's own fit (BFGS, gtol 1e-5), and the same objective minimised tightly.
A_skl, B_skl = _sigmoid_calibration(z, y)
prior1 = float(y.sum())
prior0 = len(y) - prior1
T = np.where(y > 0, (prior1 + 1.0) / (prior1 + 2.0), 1.0 / (prior0 + 2.0))


def objective(ab):
    P = expit(-(ab[0] * z + ab[1]))
    return -(xlogy(T, P) + xlogy(1.0 - T, 1.0 - P)).sum()


def grad(ab):
    P = expit(-(ab[0] * z + ab[1]))
    e = T - P
    return np.array([np.dot(e, z), e.sum()])


res = minimize(
    objective,
    np.array([0.0, log((prior0 + 1.0) / (prior1 + 1.0))]),
    jac=grad,
    method="BFGS",
    options={"gtol": 1e-12, "maxiter": 10000},
)
A, B = res.x

iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(p, y)

print(
    json.dumps(
        {
            "auroc": roc_auc_score(y, s),
            "f1": f1_score(y, called),
            "accuracy": accuracy_score(y, called),
            "sensitivity": recall_score(y, called),
            "specificity": recall_score(1 - y, 1 - called),
            "precision": precision_score(y, called),
            "brier": brier_score_loss(y, p),
            "ece": ece,
            "fpr": fpr.tolist(),
            "tpr": tpr.tolist(),
            # Platt in RadZ's convention p = sigmoid(a z + b) = 1 / (1 + exp(A z + B)).
            "platt": {"a": -A, "b": -B},
            "plattSklearn": {"a": -A_skl, "b": -B_skl},
            "isotonicGrid": iso.predict(grid).tolist(),
            "isotonicTrain": iso.predict(p).tolist(),
        }
    )
)
