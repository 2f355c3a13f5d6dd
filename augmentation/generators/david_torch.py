"""The torch half of DAVID: the β-VAE, its balanced loss, training with early stopping, and decoding.

Imported only when a DAVID sampler fits, so the command line starts without torch. Every random
choice goes through an explicit ``torch.Generator`` or numpy ``Generator`` seeded from one integer;
training runs with deterministic algorithms and a fixed thread count, so a seed gives the same bytes.
"""

from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from augmentation.data import io

log = logging.getLogger(__name__)

WEIGHTS = "david.pt"
META = "david.json"
_DECODE_CHUNK = 262_144


@dataclass
class Layout:
    """Column layout of the matrices the network sees (all standardised)."""

    n_x: int  # feature columns, numeric and one-hot together
    n_t: int  # target columns (1 for regression, one per class for classification)
    groups: list[list[int]] = field(default_factory=list)  # one-hot feature groups (softmax heads)
    latent: int = 2
    hidden: int = 64

    @property
    def numeric(self) -> list[int]:
        grouped = {i for g in self.groups for i in g}
        return [i for i in range(self.n_x) if i not in grouped]


def latent_size(n_columns: int) -> int:
    """The authors' rule p − 3q with q = ⌊p/10⌋ + 1 (p = features + target), at least 2."""
    return max(2, n_columns - 3 * (n_columns // 10 + 1))


class _VAE(nn.Module):
    def __init__(self, layout: Layout) -> None:
        super().__init__()
        h = layout.hidden
        self.encoder = nn.Sequential(nn.Linear(layout.n_x + layout.n_t, h), nn.Tanh(), nn.Linear(h, h), nn.Tanh())
        self.mu = nn.Linear(h, layout.latent)
        self.logvar = nn.Linear(h, layout.latent)
        self.decoder = nn.Sequential(nn.Linear(layout.latent, h), nn.Tanh(), nn.Linear(h, h), nn.Tanh())
        self.head_x = nn.Linear(h, layout.n_x)  # numeric values and one-hot logits
        self.head_t = nn.Linear(h, layout.n_t)

    def encode(self, xt):
        hidden = self.encoder(xt)
        return self.mu(hidden), self.logvar(hidden)

    def decode(self, z):
        hidden = self.decoder(z)
        return self.head_x(hidden), self.head_t(hidden)


@contextmanager
def deterministic(threads: int):
    """Deterministic algorithms and a fixed thread count for the duration; the caller's settings come back."""
    previous = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(previous[0])
        torch.use_deterministic_algorithms(previous[1])


def pick_device(device: str) -> torch.device:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS
    return torch.device(device)


class FittedVAE:
    """A trained network plus what generation needs: scalers, latent means and residuals of the training rows."""

    def __init__(self, net: _VAE, layout: Layout, scaling: dict[str, list[float]], device: torch.device) -> None:
        self.net, self.layout, self.scaling, self.device = net, layout, scaling, device
        self.latent_means: np.ndarray | None = None
        self.residuals: np.ndarray | None = None  # standardised (x, t) − decoded mean of each training row
        self._numeric_mask = None
        self.history: dict[str, float] = {}

    # --- training -----------------------------------------------------------------------------
    @classmethod
    def train(cls, X: np.ndarray, T: np.ndarray, weights: np.ndarray, layout: Layout, *, epochs: int,
              patience: int, batch_size: int, lr: float, beta_x: float, beta_t: float, beta_kld: float,
              validation_fraction: float, seed: int, device: str) -> "FittedVAE":
        dev = pick_device(device)
        x_mean, x_std = _scaler(X, layout.numeric)
        t_mean, t_std = _scaler(T, list(range(layout.n_t)))
        scaling = {"x_mean": x_mean.tolist(), "x_std": x_std.tolist(),
                   "t_mean": t_mean.tolist(), "t_std": t_std.tolist()}
        xs = torch.as_tensor((X - x_mean) / x_std, dtype=torch.float32, device=dev)
        ts = torch.as_tensor((T - t_mean) / t_std, dtype=torch.float32, device=dev)
        w = torch.as_tensor(weights, dtype=torch.float32, device=dev)
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(X))
        n_val = int(round(validation_fraction * len(X))) if len(X) >= 20 else 0
        val, fit = order[:n_val], order[n_val:]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # parameter initialisation only; the caller's global RNG is untouched
            net = _VAE(layout).to(dev)
        gen = torch.Generator(device=dev).manual_seed(seed)
        optimiser = torch.optim.Adam(net.parameters(), lr=lr, foreach=True)
        fitted = cls(net, layout, scaling, dev)
        betas = (beta_x, beta_t, beta_kld)
        fit_idx = torch.as_tensor(fit, device=dev)
        best, best_state, stale, epoch = np.inf, None, 0, 0  # epoch: epochs run, reported after early stopping
        for _ in range(epochs):
            epoch += 1
            net.train()
            perm = fit_idx[torch.randperm(len(fit), generator=gen, device=dev)]
            total = 0.0
            for start in range(0, len(perm), batch_size):
                idx = perm[start:start + batch_size]
                mu, logvar = net.encode(torch.cat([xs[idx], ts[idx]], dim=1))
                z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=gen, device=dev)
                loss = fitted._loss(xs[idx], ts[idx], w[idx], z, mu, logvar, betas)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * len(idx)
            score = total / len(perm)
            if n_val:
                net.eval()
                with torch.no_grad():
                    vi = torch.as_tensor(val, device=dev)
                    mu, logvar = net.encode(torch.cat([xs[vi], ts[vi]], dim=1))
                    score = float(fitted._loss(xs[vi], ts[vi], w[vi], mu, mu, logvar, betas))
            if score < best - 1e-6:
                best, stale = score, 0
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            else:
                stale += 1
                if stale >= patience:
                    break
        net.load_state_dict(best_state)
        net.eval()
        fitted.history = {"epochs": epoch, "best_loss": best, "validation_rows": n_val}
        fitted.latent_means = fitted.encode_means(X, T)
        fitted.residuals = fitted.reconstruction_residuals(X, T)
        log.info("DAVID trained %d epochs (best %s loss %.4f)", epoch, "validation" if n_val else "training", best)
        return fitted

    def _loss(self, x, t, w, z, mu, logvar, betas):
        beta_x, beta_t, beta_kld = betas
        x_hat, t_hat = self.net.decode(z)
        if self._numeric_mask is None or self._numeric_mask.device != x.device:
            mask = torch.zeros(self.layout.n_x, device=x.device)
            mask[self.layout.numeric] = 1.0
            # contiguous slices, not index lists: an index list's backward is a slow scatter in deterministic mode
            self._numeric_mask, self._slices = mask, [_as_slice(g) for g in self.layout.groups]
        loss_x = (((x_hat - x) ** 2) * self._numeric_mask).sum(dim=1)
        for part in self._slices:
            loss_x = loss_x + F.cross_entropy(x_hat[:, part], x[:, part].argmax(dim=1), reduction="none")
        n_cols = len(self.layout.numeric) + len(self.layout.groups)
        loss_x = (loss_x / max(n_cols, 1)).mean()
        loss_t = (w * ((t_hat - t) ** 2).mean(dim=1)).mean()
        kld = (-0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(dim=1)).mean()
        return beta_x * loss_x + beta_t * loss_t + beta_kld * kld

    # --- generation ---------------------------------------------------------------------------
    def encode_means(self, X: np.ndarray, T: np.ndarray) -> np.ndarray:
        s = self.scaling
        xt = np.hstack([(X - s["x_mean"]) / np.asarray(s["x_std"]), (T - s["t_mean"]) / np.asarray(s["t_std"])])
        with torch.no_grad():
            mu, _ = self.net.encode(torch.as_tensor(xt, dtype=torch.float32, device=self.device))
        return mu.cpu().numpy().astype(np.float64)

    def reconstruction_residuals(self, X: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Each row's (x, t) minus the decoding of its latent mean, standardised; 0 in one-hot columns.

        The decoder returns a conditional mean: the MSE pulls every feature towards its prediction from
        the latent code, so decoded rows lack the spread of the real rows around each mechanism. A
        row's whole residual vector is what that spread is made of (with its cross-feature correlations).
        """
        s = self.scaling
        xs = (X - s["x_mean"]) / np.asarray(s["x_std"])
        ts = (T - s["t_mean"]) / np.asarray(s["t_std"])
        x_hat, t_hat = self._decode_standardised(self.latent_means)
        out = np.hstack([xs - x_hat, ts - t_hat])
        for group in self.layout.groups:
            out[:, group] = 0.0  # a category is decoded by its softmax head, not shifted
        return out

    def _decode_standardised(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xs, ts = [], []
        with torch.no_grad():
            for start in range(0, len(Z), _DECODE_CHUNK):
                z = torch.as_tensor(Z[start:start + _DECODE_CHUNK], dtype=torch.float32, device=self.device)
                x_hat, t_hat = self.net.decode(z)
                xs.append(x_hat.cpu().numpy())
                ts.append(t_hat.cpu().numpy())
        return np.concatenate(xs).astype(np.float64), np.concatenate(ts).astype(np.float64)

    def decode(self, Z: np.ndarray, residuals: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Decoded features (one-hot groups as exact one-hot) and targets, in the original units.

        ``residuals`` (rows of :attr:`residuals`, one per latent point) are added to the decoded means
        before the units come back, so the rows carry the real spread around the decoder's prediction.
        """
        x_hat, t_hat = self._decode_standardised(Z)
        if residuals is not None:
            x_hat = x_hat + residuals[:, :self.layout.n_x]
            t_hat = t_hat + residuals[:, self.layout.n_x:]
        s = self.scaling
        X = x_hat * np.asarray(s["x_std"]) + np.asarray(s["x_mean"])
        T = t_hat * np.asarray(s["t_std"]) + np.asarray(s["t_mean"])
        for group in self.layout.groups:
            winner = np.asarray(group)[np.argmax(X[:, group], axis=1)]
            X[:, group] = 0.0
            X[np.arange(len(X)), winner] = 1.0
        return X, T

    def smoothed_bootstrap(self, n: int, probability: np.ndarray, shrink: float,
                           rng: np.random.Generator) -> np.ndarray:
        """Latent points: seeds drawn ∝ ``probability`` plus Gaussian noise of Silverman's bandwidth × ``shrink``."""
        return self.around_seeds(rng.choice(len(self.latent_means), size=n, p=probability), shrink, rng)

    def around_seeds(self, seeds: np.ndarray, shrink: float, rng: np.random.Generator) -> np.ndarray:
        """The seed rows' latent means plus Gaussian noise of Silverman's bandwidth × ``shrink``."""
        means = self.latent_means
        chol = _cholesky(_silverman_factor(*means.shape) ** 2 * np.cov(means, rowvar=False) * shrink)
        return means[seeds] + rng.standard_normal((len(seeds), means.shape[1])) @ chol.T

    def plain_sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Latent points as a plain VAE would draw them: a Gaussian matched to all latent means (no seeds)."""
        means = self.latent_means
        chol = _cholesky(np.cov(means, rowvar=False))
        return means.mean(axis=0) + rng.standard_normal((n, means.shape[1])) @ chol.T

    # --- storage (no pickle) ------------------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        """``david.pt`` (tensors only) and ``david.json`` (layout, scaling, versions)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tensors = {f"net.{k}": v.cpu() for k, v in self.net.state_dict().items()}
        tensors["latent_means"] = torch.as_tensor(self.latent_means)
        tensors["residuals"] = torch.as_tensor(self.residuals)
        tmp = directory / f".{WEIGHTS}.tmp"
        torch.save(tensors, tmp)
        os.replace(tmp, directory / WEIGHTS)
        io.write_json({"layout": asdict(self.layout), "scaling": self.scaling, "history": self.history,
                       "torch": torch.__version__}, directory / META)

    @classmethod
    def load(cls, directory: str | Path, device: str = "cpu") -> "FittedVAE":
        from augmentation.errors import DataError

        directory = Path(directory)
        if not (directory / WEIGHTS).exists() or not (directory / META).exists():
            raise DataError(f"no DAVID weights at {directory}",
                            "run the fit stage first (oversample run, or dvc repro)")
        meta = json.loads((directory / META).read_text())
        if meta.get("torch") != torch.__version__:
            raise DataError(f"the DAVID weights at {directory} were saved with torch {meta.get('torch')}, "
                            f"installed is {torch.__version__}", "re-fit the generator, or install that torch")
        tensors = torch.load(directory / WEIGHTS, weights_only=True, map_location="cpu")
        layout = Layout(**meta["layout"])
        dev = pick_device(device)
        net = _VAE(layout)
        net.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")})
        fitted = cls(net.to(dev).eval(), layout, meta["scaling"], dev)
        fitted.latent_means = tensors["latent_means"].numpy()
        residuals = tensors.get("residuals")
        width = layout.n_x + layout.n_t
        if residuals is None or tuple(residuals.shape) != (len(fitted.latent_means), width):
            found = "none" if residuals is None else f"shape {tuple(residuals.shape)}"
            raise DataError(f"the DAVID weights at {directory} hold no reconstruction residuals of "
                            f"{len(fitted.latent_means)} x {width} (found {found}); they were saved by an older DAVID",
                            "re-fit the generator (oversample run, or dvc repro)")
        fitted.residuals = residuals.numpy()
        fitted.history = meta["history"]
        return fitted


def _as_slice(group: list[int]):
    """A one-hot group as a slice when its columns are adjacent (they are, from the encoders here)."""
    return slice(group[0], group[-1] + 1) if group == list(range(group[0], group[-1] + 1)) else group


def _scaler(M: np.ndarray, columns: list[int]) -> tuple[np.ndarray, np.ndarray]:
    mean, std = np.zeros(M.shape[1]), np.ones(M.shape[1])
    if columns:
        mean[columns] = M[:, columns].mean(axis=0)
        spread = M[:, columns].std(axis=0)
        std[columns] = np.where(spread > 0, spread, 1.0)
    return mean, std


def _silverman_factor(n: int, d: int) -> float:
    return (n * (d + 2) / 4.0) ** (-1.0 / (d + 4))


def _cholesky(cov: np.ndarray) -> np.ndarray:
    cov = np.atleast_2d(cov)
    jitter = 1e-9 * max(float(np.trace(cov)) / len(cov), 1e-12)
    return np.linalg.cholesky(cov + jitter * np.eye(len(cov)))
