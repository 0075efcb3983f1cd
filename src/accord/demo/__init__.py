"""The demo organization: a mid-size company as one `accord/1` document.

Twenty teams, 41 people, seven purposes, ten partnerships and some 260 commitments over the
18 months before an anchor instant. The organization is described in the data files of `data/`
(read by `plans`); the code draws its history from them. Teams have different latent
reliabilities, so the trust Accord computes differs between pairs. Scripted commitments make sure
every state, every path of the conversation and the demo account's desk are present whatever the
seed; the rest are simulated. Only `random.Random(seed)` is drawn from, so (seed, anchor) fixes
the document.
"""

from accord.demo.document import build_demo
from accord.demo.plans import DEMO_LOGIN, DEMO_PASSWORD

__all__ = ["DEMO_LOGIN", "DEMO_PASSWORD", "build_demo"]
