"""Config plumbing: composing Hydra configs, instantiating ``_target_`` nodes, resolvers, the
seed's ``WAVEDIFF_*`` environment variables, and the checks a composed config goes through."""
