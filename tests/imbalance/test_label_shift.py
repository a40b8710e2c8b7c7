import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreweight._core.label_shift import bbse_priors, em_priors
from skreweight.compose import ReweightedClassifier
from skreweight.datasets import load_dataset
from skreweight.imbalance import LabelShiftAdapter
from skreweight.weighting import LabelShiftWeighting

MEANS = np.array([[0.0, 0.0], [1.5, 0.0], [0.0, 1.5]])


def _gaussian_classes(priors, n, rng):
    y = rng.choice(len(priors), size=n, p=priors)
    return MEANS[y] + rng.normal(size=(n, 2)), y


class _ExactPosterior(ClassifierMixin, BaseEstimator):
    """The Bayes posterior of the three unit-variance Gaussian classes."""

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        self.priors_ = np.bincount(y, weights=sample_weight) / (
            len(y) if sample_weight is None else np.sum(sample_weight)
        )
        return self

    def predict_proba(self, X):
        logp = -0.5 * ((X[:, None, :] - MEANS[None]) ** 2).sum(-1)
        p = np.exp(logp) * self.priors_
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


# ----------------------------------------------------------- known answers
def test_em_recovers_priors_with_exact_posteriors():
    rng = np.random.RandomState(0)
    pi_s, pi_t = np.array([0.6, 0.3, 0.1]), np.array([0.2, 0.3, 0.5])
    X, y = _gaussian_classes(pi_s, 3000, rng)
    Xt, _ = _gaussian_classes(pi_t, 20000, rng)
    w = LabelShiftWeighting(_ExactPosterior()).fit(X, y, X_target=Xt)
    # MLE standard error at n_t = 20000 is about 0.006 per class.
    assert np.abs(w.target_priors_ - pi_t).sum() < 0.03
    assert w.n_iter_ > 1
    ratio = w.target_priors_ / w.source_priors_
    assert_allclose(w.weights_, ratio[y])
    assert_allclose(list(w.class_weight_.values()), ratio)


def test_em_fixed_point_and_bbse_exact_inversion():
    # EM at the true priors with exact mixtures: the M-step reproduces them.
    proba_s = np.array([[0.9, 0.1], [0.2, 0.8]])
    pi_s = np.array([0.5, 0.5])
    pi, n_iter, ok = em_priors(np.repeat(proba_s, [3, 1], axis=0), pi_s, tol=1e-14)
    assert ok and n_iter > 1
    # BBSE inverts C w = mu exactly when mu comes from C and w.
    C = np.array([[0.4, 0.1], [0.1, 0.4]])
    w = np.array([1.6, 0.4])
    assert_allclose(bbse_priors(C, C @ w, C.sum(axis=0)), [0.8, 0.2])


def test_bbse_confusion_matrix_is_the_joint_of_held_out_predictions():
    rng = np.random.RandomState(1)
    X, y = _gaussian_classes([0.5, 0.3, 0.2], 900, rng)
    Xt, _ = _gaussian_classes([0.2, 0.3, 0.5], 900, rng)
    w = LabelShiftWeighting(method="bbse").fit(X, y, X_target=Xt)
    C = w.confusion_matrix_
    assert_allclose(C.sum(), 1.0)
    assert_allclose(C.sum(axis=0), w.source_priors_)
    assert np.all(np.diag(C) > C.sum(axis=0) / 3)


@pytest.mark.parametrize("method", ["em", "bbse", "bbse_soft"])
def test_priors_recovered_on_gaussian_shift(method):
    rng = np.random.RandomState(2)
    pi_t = np.array([0.1, 0.3, 0.6])
    X, y = _gaussian_classes([0.5, 0.3, 0.2], 4000, rng)
    Xt, _ = _gaussian_classes(pi_t, 4000, rng)
    w = LabelShiftWeighting(method=method).fit(X, y, X_target=Xt)
    assert np.abs(w.target_priors_ - pi_t).sum() < 0.08


@pytest.mark.slow
def test_prior_error_on_simulated_shifts_of_adult():
    """Seeded Monte Carlo on real data: adult census income, n_target = 2000.

    Source: 20,000 random rows (24 % positives). Each of 12 shifts draws a
    target positive share uniformly in [0.05, 0.6] and samples exactly that
    share of 2,000 rows from the other rows. The classes overlap, so even the
    maximum-likelihood (EM) error of one shift has a standard deviation of
    about 0.01-0.02 per class; the stated tolerance is therefore on the mean
    L1 error over the shifts: <= 0.03 (measured: about 0.015-0.02).
    """
    X, y = load_dataset("adult", return_X_y=True)
    rng = np.random.RandomState(0)
    perm = rng.permutation(y.shape[0])
    src, pool = perm[:20000], perm[20000:]
    pos, neg = pool[y[pool] == 1], pool[y[pool] == 0]
    est = make_pipeline(StandardScaler(), LogisticRegression())
    errors = {"em": [], "bbse": [], "bbse_soft": []}
    for share in rng.uniform(0.05, 0.6, size=12):
        n1 = int(round(2000 * share))
        idx = np.r_[
            rng.choice(pos, n1, replace=False),
            rng.choice(neg, 2000 - n1, replace=False),
        ]
        truth = np.array([1 - n1 / 2000, n1 / 2000])
        for method, errs in errors.items():
            w = LabelShiftWeighting(est, method=method, cv=3)
            w.fit(X[src], y[src], X_target=X[idx])
            errs.append(np.abs(w.target_priors_ - truth).sum())
    for method, errs in errors.items():
        assert np.mean(errs) <= 0.03, (method, np.round(errs, 3))


# -------------------------------------------------------------- the weighter
def test_weighter_no_shift_and_compute_weights():
    rng = np.random.RandomState(0)
    X, y = _gaussian_classes([0.7, 0.2, 0.1], 300, rng)
    w = LabelShiftWeighting().fit(X, y)
    assert_allclose(w.weights_, 1.0)
    assert w.estimator_ is None
    Xt, _ = _gaussian_classes([0.2, 0.3, 0.5], 300, rng)
    w = LabelShiftWeighting().fit(X, y, X_target=Xt)
    assert_allclose(w.compute_weights(X[:10], y[:10]), w.weights_[:10])
    with pytest.raises(ValueError, match="not seen in fit"):
        w.compute_weights(X[:2], np.array([0, 7]))


def test_weighter_in_reweighted_classifier():
    rng = np.random.RandomState(0)
    X, y = _gaussian_classes([0.7, 0.2, 0.1], 600, rng)
    Xt, _ = _gaussian_classes([0.1, 0.2, 0.7], 600, rng)
    clf = ReweightedClassifier(LabelShiftWeighting(), LogisticRegression())
    clf.fit(X, y, X_target=Xt)
    plain = LogisticRegression().fit(X, y)
    assert np.mean(clf.predict(Xt) == 2) > np.mean(plain.predict(Xt) == 2)


# ------------------------------------------------------------- the adapter
@pytest.mark.parametrize("method", ["em", "bbse"])
def test_adapter_corrects_posteriors_by_bayes_rule(method):
    rng = np.random.RandomState(3)
    X, y = _gaussian_classes([0.6, 0.3, 0.1], 2000, rng)
    Xt, yt = _gaussian_classes([0.1, 0.3, 0.6], 2000, rng)
    clf = LabelShiftAdapter(method=method).fit(X, y, X_target=Xt)
    p = clf.estimator_.predict_proba(Xt) * (clf.target_priors_ / clf.source_priors_)
    assert_allclose(clf.predict_proba(Xt), p / p.sum(axis=1, keepdims=True))
    assert np.mean(clf.predict(Xt) == yt) > np.mean(clf.estimator_.predict(Xt) == yt)
    assert_allclose(
        list(clf.class_weight_.values()), clf.target_priors_ / clf.source_priors_
    )


def test_adapter_known_priors_and_no_shift():
    rng = np.random.RandomState(0)
    X, y = _gaussian_classes([0.6, 0.3, 0.1], 500, rng)
    clf = LabelShiftAdapter(target_priors={0: 0.2, 1: 0.3, 2: 0.5}).fit(X, y)
    assert_allclose(clf.target_priors_, [0.2, 0.3, 0.5])
    clf = LabelShiftAdapter().fit(X, y)
    assert_allclose(clf.predict_proba(X), clf.estimator_.predict_proba(X))


def test_adapter_with_calibration_and_tuple_target():
    rng = np.random.RandomState(0)
    X, y = _gaussian_classes([0.5, 0.3, 0.2], 600, rng)
    Xt, _ = _gaussian_classes([0.2, 0.3, 0.5], 300, rng)
    clf = LabelShiftAdapter(calibration="sigmoid").fit(X, y, X_target=(Xt,))
    assert clf.target_priors_[2] > clf.source_priors_[2]


def test_em_convergence_warning():
    rng = np.random.RandomState(0)
    X, y = _gaussian_classes([0.5, 0.3, 0.2], 300, rng)
    Xt, _ = _gaussian_classes([0.2, 0.3, 0.5], 300, rng)
    with pytest.warns(Warning, match="did not converge"):
        LabelShiftWeighting(max_iter=2, tol=0).fit(X, y, X_target=Xt)


def test_bbse_warns_on_singular_confusion():
    from sklearn.dummy import DummyClassifier

    # A classifier that ignores X predicts one class: C has a zero row.
    rng = np.random.RandomState(0)
    X, y = _gaussian_classes([0.5, 0.3, 0.2], 300, rng)
    with pytest.warns(UserWarning, match="singular: the classifier never predicts"):
        LabelShiftWeighting(
            DummyClassifier(strategy="most_frequent"), method="bbse"
        ).fit(X, y, X_target=X[:50])


def test_hard_bbse_uses_the_balanced_classifier():
    # Rare class 2: argmax p(y|x) seldom predicts it, argmax p(y|x)/pi_s does.
    rng = np.random.RandomState(0)
    X, y = _gaussian_classes([0.6, 0.35, 0.05], 3000, rng)
    w = LabelShiftWeighting(method="bbse").fit(X, y, X_target=X[:500])
    C = w.confusion_matrix_
    recall = np.diag(C) / C.sum(axis=0)
    assert recall[2] > 0.5


# ---------------------------------------------------------------- bad input
def test_prior_for_class_absent_from_training():
    rng = np.random.RandomState(0)
    X, y = _gaussian_classes([0.5, 0.5, 0.0], 200, rng)
    with pytest.raises(ValueError, match=r"class\(es\) \[2\] that do not occur"):
        LabelShiftAdapter(target_priors={0: 0.3, 1: 0.3, 2: 0.4}).fit(X, y)


def test_target_priors_not_summing_to_one():
    rng = np.random.RandomState(0)
    X, y = _gaussian_classes([0.5, 0.3, 0.2], 200, rng)
    with pytest.raises(ValueError, match="target_priors must sum to 1, but they sum"):
        LabelShiftAdapter(target_priors=[0.5, 0.3, 0.3]).fit(X, y)


@pytest.mark.parametrize(
    "make", [LabelShiftAdapter, LabelShiftWeighting], ids=["adapter", "weighter"]
)
def test_single_class(make):
    X = np.random.RandomState(0).normal(size=(30, 2))
    with pytest.raises(ValueError, match="at least 2 classes in y, got 1 class"):
        make().fit(X, np.ones(30, dtype=int), X_target=X)


def test_target_with_wrong_number_of_features():
    rng = np.random.RandomState(0)
    X, y = _gaussian_classes([0.5, 0.3, 0.2], 100, rng)
    with pytest.raises(ValueError, match="features"):
        LabelShiftAdapter().fit(X, y, X_target=np.zeros((5, 3)))


def test_weighter_requires_y():
    with pytest.raises(ValueError, match="requires y"):
        LabelShiftWeighting().fit(np.zeros((10, 2)), X_target=np.zeros((5, 2)))


def test_adapter_in_grid_search_with_routing():
    import sklearn
    from sklearn.model_selection import GridSearchCV

    rng = np.random.RandomState(0)
    X, y = _gaussian_classes([0.6, 0.3, 0.1], 600, rng)
    Xt, _ = _gaussian_classes([0.1, 0.3, 0.6], 600, rng)
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            LabelShiftAdapter(),
            {"method": ["em", "bbse_soft"]},
            cv=3,
            error_score="raise",
        ).fit(X, y, X_target=(Xt,))
    assert search.best_estimator_.target_priors_[2] > 0.4


def test_bbse_folds_in_parallel_match_sequential():
    rng = np.random.RandomState(4)
    X, y = _gaussian_classes([0.5, 0.3, 0.2], 600, rng)
    Xt, _ = _gaussian_classes([0.2, 0.3, 0.5], 300, rng)
    a = LabelShiftWeighting(method="bbse_soft").fit(X, y, X_target=Xt)
    b = LabelShiftWeighting(method="bbse_soft", n_jobs=2).fit(X, y, X_target=Xt)
    assert_allclose(a.target_priors_, b.target_priors_)
    assert_allclose(a.confusion_matrix_, b.confusion_matrix_)


# ------------------------------------------------- BBSE over the simplex
def _clip_and_renormalise(C, mu, pi_s):
    w = np.linalg.lstsq(C, mu, rcond=None)[0]
    pi = np.clip(w, 0, None) * pi_s
    return pi / pi.sum()


def test_bbse_projection_matches_cvxpy():
    cp = pytest.importorskip("cvxpy")
    pi_s = np.array([0.5, 0.3, 0.2])
    cond = np.array([[0.8, 0.15, 0.2], [0.1, 0.7, 0.2], [0.1, 0.15, 0.6]])
    C = cond * pi_s  # joint P(f = i, y = j)
    mu = np.array([0.62, 0.36, 0.02])  # class 2 absent, plus noise
    assert np.linalg.solve(C, mu).min() < 0  # the plain solve leaves the simplex
    p = cp.Variable(3)
    cp.Problem(
        cp.Minimize(cp.sum_squares(cond @ p - mu)), [p >= 0, cp.sum(p) == 1]
    ).solve(solver="CLARABEL")
    pi = bbse_priors(C, mu, pi_s)
    assert_allclose(pi, p.value, atol=1e-6)
    assert_allclose(pi.sum(), 1.0)
    # Clipping and renormalising is a different, worse fit of C w = mu.
    clipped = _clip_and_renormalise(C, mu, pi_s)
    assert np.abs(clipped - pi).sum() > 0.01
    assert np.sum((cond @ pi - mu) ** 2) < np.sum((cond @ clipped - mu) ** 2)


def test_bbse_projection_is_clipping_for_two_classes():
    C = np.array([[0.6, 0.1], [0.15, 0.15]])  # columns sum to pi_s
    pi_s = C.sum(axis=0)
    mu = np.array([0.85, 0.15])  # fewer predicted positives than false positives
    assert np.linalg.solve(C, mu)[1] < 0
    assert_allclose(bbse_priors(C, mu, pi_s), [1.0, 0.0], atol=1e-9)
    assert_allclose(_clip_and_renormalise(C, mu, pi_s), [1.0, 0.0])


def test_bbse_projection_lowers_the_error_when_a_class_is_absent():
    # Monte Carlo (seeded): target without class 2; the exact Bayes rule as the
    # black box, hard BBSE with a 3000-row confusion matrix and 2000 target
    # rows. The plain solve leaves the simplex about half the time; the
    # constrained estimate is closer to the truth on average (measured: mean L1
    # 0.049 vs 0.050 over 300 draws; here 100 paired draws).
    rng = np.random.RandomState(0)
    pi_s, pi_t = np.array([0.5, 0.3, 0.2]), np.array([0.6, 0.4, 0.0])
    clf = _ExactPosterior()
    diffs = []
    for _ in range(100):
        X, y = _gaussian_classes(pi_s, 3000, rng)
        Xt, yt = _gaussian_classes(pi_t, 2000, rng)
        clf.fit(X, y)
        f = np.argmax(clf.predict_proba(X) / clf.priors_, axis=1)
        ft = np.argmax(clf.predict_proba(Xt) / clf.priors_, axis=1)
        C = np.zeros((3, 3))
        np.add.at(C, (f, y), 1.0 / y.shape[0])
        mu = np.bincount(ft, minlength=3) / ft.shape[0]
        truth = np.bincount(yt, minlength=3) / yt.shape[0]
        new = np.abs(bbse_priors(C, mu, clf.priors_) - truth).sum()
        old = np.abs(_clip_and_renormalise(C, mu, clf.priors_) - truth).sum()
        diffs.append(new - old)
    diffs = np.array(diffs)
    assert diffs.mean() < 0
    assert np.mean(diffs <= 1e-9) > 0.6
