"""cairn from Python: load and act, train on built-in or Python environments, save, restore,
export (docs/python.md).

    import cairn
    policy = cairn.load_policy("runs/cartpole")             # a policy folder, checkpoint or run
    action, state = policy.predict(obs, deterministic=True)  # Stable-Baselines3's signature
    algo = cairn.PPO(preset="CartPole-v1")                   # or cairn.PPO({...}, env=MyEnv())
    algo.learn(stop={"mean_return": 475})

`cairn.checkpoint_reader` (read checkpoints with NumPy only) and `cairn.spaces` work without
the compiled module; everything else needs it (cairn/_cairn*.so, built with cairn).
"""

from . import spaces

try:
    from . import _cairn
except ImportError as _error:  # the pure-Python parts stay usable
    _cairn = None
    _import_error = _error

if _cairn is not None:
    from ._cairn import (Error, Policy, algorithm_names, default_config, env_ids, load_policy,
                         preset_ids, verify_checkpoint)

    __version__ = _cairn.__version__

    class Algorithm(_cairn.Algorithm):
        """The frame of PPO, SAC, TD3 and DQN. Build one of those classes; from_checkpoint
        resumes a saved run."""

        algorithm = None

        def __init__(self, config=None, *, env=None, preset=None):
            """config: a dict of settings over the defaults (or over `preset`'s, an environment
            id with a tuned preset); env: a built-in environment id, a Gymnasium-API object
            (copied for each environment) or a function returning one."""
            super().__init__(self.algorithm, config, env, preset)

        @classmethod
        def from_checkpoint(cls, path, env=None):
            """Resumes a run from an algorithm checkpoint (or a run folder's latest). A run on a
            Python environment needs it again as `env` (a checkpoint cannot hold it)."""
            algorithm = cls.__new__(cls)
            _cairn.Algorithm.__init__(algorithm, cls.algorithm, env=env, checkpoint=path)
            return algorithm

    class PPO(Algorithm):
        """Proximal Policy Optimization (docs/ppo-presets.md)."""
        algorithm = "ppo"

    class SAC(Algorithm):
        """Soft Actor-Critic (docs/off-policy-presets.md)."""
        algorithm = "sac"

    class TD3(Algorithm):
        """Twin Delayed DDPG (docs/off-policy-presets.md)."""
        algorithm = "td3"

    class DQN(Algorithm):
        """Deep Q-Network (docs/off-policy-presets.md)."""
        algorithm = "dqn"

    class MultiAgentPPO(Algorithm):
        """PPO training several policies on a multi-agent environment (docs/multi-agent.md):
        config "policies", "policy_mapping" and "league" are data; get_policy(id) gives one."""
        algorithm = "multi_agent_ppo"

    _CLASSES = {c.algorithm: c for c in (PPO, SAC, TD3, DQN, MultiAgentPPO)}

    def from_checkpoint(path, env=None):
        """Resumes any algorithm's checkpoint as an instance of its class."""
        name = verify_checkpoint(path)["algorithm"].lower()
        return _CLASSES[name].from_checkpoint(path, env=env)

else:

    def __getattr__(name):
        raise ImportError(
            f"cairn.{name} needs cairn's compiled module (cairn/_cairn), which could not be "
            f"imported: {_import_error}. Build cairn with pybind11 (Debian pybind11-dev; "
            f"scripts/setup.sh installs it) and put build/release/python on PYTHONPATH, or "
            f"install it with cmake --install. cairn.checkpoint_reader and cairn.spaces work "
            f"without it.")
