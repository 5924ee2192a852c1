"""The zoo: students distilled from known teachers, the ground truth for `distillscope attribute`."""

from distillscope.zoo.spec import ZooManifest, ZooStudent, read_manifest

__all__ = ["ZooManifest", "ZooStudent", "read_manifest"]
