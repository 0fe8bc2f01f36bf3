"""The Chinese template of each engine message code (engine/core/message_codes.py holds the English developer
text of the same codes); `%(name)s` names the same parameters. English comes from web/translations."""

TEXTS = {
    "text": "%(text)s",
    # core
    "bundle.invalid": "流程包校验未通过，共 %(count)s 个问题",
    "run.step_budget": "流程连续执行超过 %(budget)s 步而没有等待节点，已停止（最后执行：%(task)s）",
    "org.not_found": "机构 %(code)s 不存在",
    "role.not_found": "角色 %(code)s 不存在",
    "user.not_found": "用户 %(username)s 不存在",
}
