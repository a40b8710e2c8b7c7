import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402
from sklearn.metrics import balanced_accuracy_score  # noqa: E402

from skreweight.neural import (  # noqa: E402
    FocalLoss,
    LDAMClassifier,
    LDAMLoss,
    LogitAdjustedLoss,
    WeightedNeuralNetClassifier,
    class_balanced_weights,
)


def _imbalanced(n_major, n_minor, seed):
    rng = np.random.RandomState(seed)
    X = np.r_[rng.normal(0, 1, (n_major, 2)), rng.normal(1.5, 1, (n_minor, 2))]
    y = np.r_[np.zeros(n_major, int), np.ones(n_minor, int)]
    return X, y


def test_ldam_margins_and_loss_closed_form():
    counts = np.array([1000.0, 100.0, 10.0])
    crit = LDAMLoss(counts, max_margin=0.5, scale=10.0)
    margins = counts**-0.25
    assert_allclose(crit.margins.numpy(), 0.5 * margins / margins.max())
    z = torch.tensor([[0.2, -0.1, 0.4], [0.0, 0.3, -0.2]], dtype=torch.float64)
    t = torch.tensor([2, 0])
    m = crit.margins.numpy()
    zz = z.numpy().copy()
    zz[0, 2] -= m[2]
    zz[1, 0] -= m[0]
    s = 10.0 * zz
    expected = -(s[[0, 1], [2, 0]] - np.log(np.exp(s).sum(axis=1)))
    assert_allclose(crit(z, t).numpy(), expected, rtol=1e-12)


def test_focal_loss_closed_form_and_weight_after_pt():
    z = torch.tensor([[2.0, -1.0], [0.1, 0.3]], dtype=torch.float64)
    t = torch.tensor([0, 1])
    p = torch.softmax(z, 1).numpy()[[0, 1], [0, 1]]
    assert_allclose(FocalLoss(gamma=0.0)(z, t).numpy(), -np.log(p), rtol=1e-12)
    assert_allclose(
        FocalLoss(gamma=2.0)(z, t).numpy(), -((1 - p) ** 2) * np.log(p), rtol=1e-12
    )
    w = np.array([3.0, 0.5])
    weighted = FocalLoss(gamma=2.0, weight=w)(z, t).numpy()
    assert_allclose(weighted, w[[0, 1]] * -((1 - p) ** 2) * np.log(p), rtol=1e-12)


def test_class_balanced_weights():
    counts = np.array([100.0, 10.0])
    assert_allclose(class_balanced_weights(counts, 0.0), [1.0, 1.0])
    w = class_balanced_weights(counts, 0.999)
    e = (1 - 0.999**counts) / (1 - 0.999)
    assert_allclose(w, (1 / e) * 2 / (1 / e).sum())
    with pytest.raises(ValueError, match="positive"):
        class_balanced_weights([3.0, 0.0])


def test_logit_adjusted_loss_equals_shifted_intercept_for_linear_model():
    # Menon et al.: with a free intercept, LA loss = ERM with b - tau log(pi)
    X, y = _imbalanced(160, 40, 0)
    common = dict(
        module__hidden_units=(),
        module__dtype=torch.float64,
        optimizer=torch.optim.LBFGS,
        lr=1.0,
        max_epochs=30,
        batch_size=-1,
        random_state=0,
    )
    erm = WeightedNeuralNetClassifier(**common).fit(X, y)
    la = WeightedNeuralNetClassifier(
        criterion=LogitAdjustedLoss, criterion__tau=1.0, **common
    ).fit(X, y)
    pi = np.array([0.8, 0.2])
    w_erm = erm.module_.head.weight.detach().numpy()
    w_la = la.module_.head.weight.detach().numpy()
    b_erm = erm.module_.head.bias.detach().numpy()
    b_la = la.module_.head.bias.detach().numpy()
    assert_allclose(w_la[1] - w_la[0], w_erm[1] - w_erm[0], rtol=1e-4, atol=1e-6)
    shift = (b_erm[1] - b_erm[0]) - (np.log(pi[1]) - np.log(pi[0]))
    assert_allclose(b_la[1] - b_la[0], shift, rtol=1e-4, atol=1e-6)


def test_drw_schedule_switches_on_class_weights():
    X, y = _imbalanced(90, 10, 0)
    common = dict(
        max_epochs=4, batch_size=-1, lr=0.0, random_state=0, module__dtype=torch.float64
    )
    plain = LDAMClassifier("cross_entropy", drw_start=None, **common).fit(X, y)
    drw = LDAMClassifier("cross_entropy", drw_start=2, **common).fit(X, y)
    assert drw.drw_start_ == 2
    assert_allclose(drw.history[:2, "train_loss"], plain.history[:2, "train_loss"])
    # lr=0: from epoch 2 the loss is sum(c_y l) / sum(c_y) at the initial network
    with torch.no_grad():
        out = drw.module_(torch.as_tensor(X))
        losses = torch.nn.functional.cross_entropy(
            out, torch.as_tensor(y), reduction="none"
        ).numpy()
    c = drw.drw_weights_[y]
    assert_allclose(drw.history[-1, "train_loss"], (c * losses).sum() / c.sum())
    assert_allclose(LDAMClassifier(drw_start=0.5, **common).fit(X, y).drw_start_, 2)


@pytest.mark.parametrize("loss", ["ldam", "focal", "logit_adjusted"])
def test_integer_weights_equal_repeated_rows(loss):
    X, y = _imbalanced(30, 10, 1)
    sw = np.random.RandomState(0).randint(1, 4, size=40)
    rep = np.repeat(np.arange(40), sw)
    common = dict(
        max_epochs=6,
        drw_start=3,
        batch_size=-1,
        random_state=0,
        module__dtype=torch.float64,
        module__hidden_units=(4,),
    )
    a = LDAMClassifier(loss, **common).fit(X, y, sample_weight=sw)
    b = LDAMClassifier(loss, **common).fit(X[rep], y[rep])
    assert_allclose(a.class_counts_, b.class_counts_)
    assert_allclose(a.history[:, "train_loss"], b.history[:, "train_loss"], rtol=1e-6)
    assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-6, atol=1e-10)


@pytest.mark.slow
def test_ldam_drw_improves_balanced_accuracy():
    # Seeded study, 3 seeds: LDAM-DRW beats plain cross-entropy on balanced
    # accuracy on a 95:5 imbalanced problem, evaluated on a balanced test set.
    gains = []
    for seed in range(3):
        X, y = _imbalanced(475, 25, seed)
        Xt, yt = _imbalanced(1000, 1000, 100 + seed)
        common = dict(max_epochs=60, batch_size=-1, lr=0.05, random_state=seed)
        ce = LDAMClassifier("cross_entropy", drw_start=None, **common).fit(X, y)
        ldam = LDAMClassifier("ldam", **common).fit(X, y)
        gains.append(
            balanced_accuracy_score(yt, ldam.predict(Xt))
            - balanced_accuracy_score(yt, ce.predict(Xt))
        )
    assert np.median(gains) > 0.03, gains


def test_bad_parameters():
    X, y = _imbalanced(20, 5, 0)
    with pytest.raises(ValueError, match="loss"):
        LDAMClassifier("hinge", max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="drw_beta"):
        LDAMClassifier(drw_beta=1.0, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        LDAMClassifier(max_epochs=1).fit(X, np.zeros(25, int))
