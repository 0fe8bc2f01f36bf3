"""Random draws (双随机一公开) a case recorded: list, 复核 (run again from the record), 公开."""
from __future__ import annotations

from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields

from engine.records import draws

from ..database import session
from ..workflow import engine
from . import Blueprint, authenticate
from .cases import visible

blp = Blueprint("api_draws", __name__, description="抽取记录")
blp.before_request(authenticate)


class DrawOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    purpose = fields.String(metadata={"description": "用途"})
    method = fields.String(metadata={"description": "sample（抽取）或 assign（分配）"})
    algorithm = fields.String(metadata={"description": "算法，如 sha256-v1"})
    seed = fields.String(metadata={"description": "随机种子"})
    pool = fields.Dict(metadata={"description": "备选范围：items，或 targets 与 people"})
    criteria = fields.Dict(metadata={"description": "条件：count，或 per_target、max_per_person、excluded"})
    result = fields.Dict(metadata={"description": "结果：chosen，或 assignment"})
    drawn_by = fields.String()
    drawn_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)


class DrawCheck(Schema):
    id = fields.Integer()
    consistent = fields.Boolean(metadata={"description": "按记录重新抽取的结果与记录是否一致"})
    recorded = fields.Dict()
    recomputed = fields.Dict()


def _draw(case_id: int, draw_id: int):
    """A draw of a case in the caller's subtree, else 404."""
    visible(case_id)
    return draws.get(session(), draw_id, case_id)


@blp.route("/cases/<int:case_id>/draws")
class Draws(MethodView):
    @blp.response(200, DrawOut(many=True))
    def get(self, case_id: int):
        """The random draws the case recorded, oldest first."""
        visible(case_id)
        return draws.draws_of_case(session(), case_id)


@blp.route("/cases/<int:case_id>/draws/<int:draw_id>/verify")
class DrawVerify(MethodView):
    @blp.response(200, DrawCheck)
    def get(self, case_id: int, draw_id: int):
        """复核: the draw computed again from its pool, criteria and seed, beside the recorded result."""
        draw = _draw(case_id, draw_id)
        recomputed = draws.rerun(draw)
        return {"id": draw.id, "consistent": recomputed == draw.result, "recorded": draw.result,
                "recomputed": recomputed}


@blp.route("/cases/<int:case_id>/draws/<int:draw_id>/publish")
class DrawPublish(MethodView):
    @blp.response(200, DrawOut)
    def post(self, case_id: int, draw_id: int):
        """公开: publish the draw (staff of the case's organisation; 409 if it is published already)."""
        _draw(case_id, draw_id)
        return draws.publish(session(), draw_id, g.user, engine().now(), case_id)
