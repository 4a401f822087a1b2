"""Assembly: the storyboard frames as an ordered cut list (deterministic)."""

from __future__ import annotations

from .models import Cut, CutList, FilmBrief, Frame


def assemble(frames: list[Frame], brief: FilmBrief) -> CutList:
    """Cuts in scene order, each starting where the previous one ends."""
    cuts, start = [], 0.0
    for order, frame in enumerate(sorted(frames, key=lambda f: f.scene_index), start=1):
        cuts.append(
            Cut(
                order=order,
                scene_index=frame.scene_index,
                start_sec=round(start, 3),
                duration_sec=frame.duration_sec,
                shot_type=frame.shot_type,
                description=frame.description,
            )
        )
        start += frame.duration_sec
    return CutList(title=brief.title, cuts=cuts, total_duration_sec=round(start, 3))
