# Copied from the course's shared benchmark kit (../shared/bench/peers.py), with
# only these two lines added, so that bench/compare.sh runs from a clean clone.
"""Peers of `rlhfsim train --data FILE`, for side-by-side benchmarks: parse the same JSONL, train, report.
usage: python3 peers.py MODE FILE [EPOCHS]
MODE: sklearn | scipy (L-BFGS, linear) | np-adam | torch-adam (linear) | np-mlp | torch-mlp (width 32, tanh)
Minibatch modes use 32 prompts per step (6 pairs each, K=4). Needs Debian python3-numpy, python3-scipy,
python3-sklearn, python3-torch. Prints import, parse and train seconds, then the weights."""
import sys, time, json
import numpy as np
mode, path = sys.argv[1], sys.argv[2]
epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 10
ti = time.perf_counter()
if mode == 'sklearn': from sklearn.linear_model import LogisticRegression
if mode == 'scipy': from scipy.optimize import minimize
if mode.startswith('torch'): import torch
t0 = time.perf_counter()
W, L, S, PID = [], [], [], []
with open(path, 'rb') as f:
    for line in f:
        o = json.loads(line)
        W.append(o['chosen_features']); L.append(o['rejected_features'])
        S.append(o['split']); PID.append(o['prompt_id'])
Xw = np.array(W); Xl = np.array(L); S = np.array(S); PID = np.array(PID)
del W, L
t1 = time.perf_counter()
tr, va = S == 'train', S == 'val'
Dtr, Dva = Xw[tr] - Xl[tr], Xw[va] - Xl[va]
def bt_loss(z): return np.logaddexp(0, -z).mean()
info = ''
if mode == 'sklearn':
    from sklearn.linear_model import LogisticRegression
    # same convex problem: flip every other pair so both classes occur
    sgn = np.where(np.arange(len(Dtr)) % 2 == 0, 1.0, -1.0)
    clf = LogisticRegression(penalty=None, fit_intercept=False, solver='lbfgs', tol=1e-10, max_iter=500)
    clf.fit(Dtr * sgn[:, None], (sgn > 0).astype(int))
    w = clf.coef_.ravel(); info = f'n_iter {clf.n_iter_[0]}'
elif mode == 'scipy':
    from scipy.optimize import minimize
    n = len(Dtr)
    def fg(w):
        z = Dtr @ w
        s = 1.0 / (1.0 + np.exp(z))
        return np.logaddexp(0, -z).mean(), -(Dtr.T @ s) / n
    r = minimize(fg, np.zeros(Dtr.shape[1]), jac=True, method='L-BFGS-B', options={'gtol': 1e-10, 'ftol': 1e-15, 'maxiter': 500})
    w = r.x; info = f'nit {r.nit} nfev {r.nfev}'
else:
    # pairs of one prompt are consecutive lines: group them (6 per prompt for K=4)
    P = 6
    assert (PID[tr].reshape(-1, P) == PID[tr][::P, None]).all()
    Xwg, Xlg = Xw[tr].reshape(-1, P, Xw.shape[1]), Xl[tr].reshape(-1, P, Xw.shape[1])
    n_units, B, D = Xwg.shape[0], 32, Xw.shape[1]
    rng = np.random.default_rng(1)
    lr, b1, b2, eps = 0.02, 0.9, 0.999, 1e-8
    mlp = mode.endswith('mlp')
    if mlp:
        allr = np.concatenate([Xw[tr], Xl[tr]]); mu, sd = allr.mean(0), allr.std(0)
        Xwg = (Xwg - mu) / sd; Xlg = (Xlg - mu) / sd
    if mode.startswith('np'):
        if not mlp:
            Dg = Xwg - Xlg
            w = np.zeros(D); m1 = np.zeros(D); m2 = np.zeros(D); t = 0
            for ep in range(epochs):
                Ds = Dg[rng.permutation(n_units)].reshape(-1, D)
                for s in range(0, Ds.shape[0], B * P):
                    X = Ds[s:s + B * P]; z = X @ w
                    g = -(X.T @ (1.0 / (1.0 + np.exp(z)))) / X.shape[0]; t += 1
                    m1 = b1 * m1 + (1 - b1) * g; m2 = b2 * m2 + (1 - b2) * g * g
                    w -= lr * (m1 / (1 - b1 ** t)) / (np.sqrt(m2 / (1 - b2 ** t)) + eps)
                _ = bt_loss(Dva @ w)
        else:
            H = 32; prng = np.random.default_rng(2)
            params = [prng.standard_normal((H, D)) / np.sqrt(D), np.zeros(H), prng.standard_normal(H) / np.sqrt(H)]
            m1 = [np.zeros_like(p) for p in params]; m2 = [np.zeros_like(p) for p in params]; t = 0
            def score(X, p): return np.tanh(X @ p[0].T + p[1]) @ p[2]
            for ep in range(epochs):
                perm = rng.permutation(n_units); A_, B_ = Xwg[perm].reshape(-1, D), Xlg[perm].reshape(-1, D)
                for s in range(0, A_.shape[0], B * P):
                    X = np.concatenate([A_[s:s + B * P], B_[s:s + B * P]]); nb = X.shape[0] // 2
                    W1, bb, v = params
                    Hh = np.tanh(X @ W1.T + bb); r = Hh @ v
                    sg = 1.0 / (1.0 + np.exp(r[:nb] - r[nb:])); dr = np.concatenate([-sg, sg]) / nb
                    dH = (dr[:, None] * v) * (1 - Hh * Hh)
                    grads = [dH.T @ X, dH.sum(0), Hh.T @ dr]; t += 1
                    for p, g, M1, M2 in zip(params, grads, m1, m2):
                        M1 *= b1; M1 += (1 - b1) * g; M2 *= b2; M2 += (1 - b2) * g * g
                        p -= lr * (M1 / (1 - b1 ** t)) / (np.sqrt(M2 / (1 - b2 ** t)) + eps)
                _ = bt_loss(score((Xw[va] - mu) / sd, params) - score((Xl[va] - mu) / sd, params))
            w = params[2]
    else:
        import torch
        torch.manual_seed(0); F = torch.nn.functional
        if mlp:
            net = torch.nn.Sequential(torch.nn.Linear(D, 32, dtype=torch.float64), torch.nn.Tanh(), torch.nn.Linear(32, 1, bias=False, dtype=torch.float64))
        else:
            net = torch.nn.Linear(D, 1, bias=False, dtype=torch.float64); torch.nn.init.zeros_(net.weight)
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        TW, TL = torch.from_numpy(Xwg), torch.from_numpy(Xlg)
        VW = torch.from_numpy((Xw[va] - mu) / sd if mlp else Xw[va]); VL = torch.from_numpy((Xl[va] - mu) / sd if mlp else Xl[va])
        for ep in range(epochs):
            perm = torch.from_numpy(rng.permutation(n_units)); A_, B_ = TW[perm].reshape(-1, D), TL[perm].reshape(-1, D)
            for s in range(0, A_.shape[0], B * P):
                opt.zero_grad()
                r = net(torch.cat([A_[s:s + B * P], B_[s:s + B * P]])).squeeze(1); nb = r.shape[0] // 2
                loss = F.softplus(r[nb:] - r[:nb]).mean(); loss.backward(); opt.step()
            with torch.no_grad():
                _ = F.softplus(net(VL) - net(VW)).mean().item()
        w = (net.weight if not mlp else net[2].weight).detach().numpy().ravel()
t2 = time.perf_counter()
vl = bt_loss(Dva @ w) if mode in ('sklearn', 'scipy') else float('nan')
print(f"{mode}: import {t0 - ti:.3f} s  parse {t1 - t0:.3f} s  train {t2 - t1:.3f} s  {info}  val_loss {vl:.10f}")
print('weights', ' '.join(f'{x:.9f}' for x in w))
