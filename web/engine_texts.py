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
    # sandbox
    "sandbox.cpu_time": "运行时间超过 %(seconds)s 秒 CPU 时间限制，已停止",
    "sandbox.memory": "占用内存超过 %(mb)s MB 限制，已停止",
    "sandbox.too_many_items": "生成的数据长度 %(items)s 超过 %(limit)s 的限制",
    "sandbox.int_too_large": "整数过大（约 %(bits)s 位二进制），超过 %(limit)s 位的限制",
    "sandbox.star_width": "格式化宽度不能用 *",
    "sandbox.operator": "不支持的运算符 %(op)s",
    "sandbox.type_attribute": "不允许访问类型的属性 %(name)s",
    "sandbox.range_too_long": "range 长度 %(length)s 超过 %(limit)s 的限制",
    "sandbox.sum_numbers": "sum 只能对数值求和",
    "sandbox.round_digits": "round 的位数过大",
    "sandbox.import": "不允许导入模块（import）",
    "sandbox.class": "不允许定义类（class）",
    "sandbox.yield": "不允许使用 yield",
    "sandbox.name": "不允许使用 %(name)s",
    "sandbox.attribute": "不允许访问属性 %(name)s",
    "sandbox.format_spec": "格式说明须为不超过 %(width)s 的常量宽度",
    "sandbox.syntax": "语法错误：%(detail)s",
    "sandbox.too_deep": "表达式嵌套过深或过长，无法编译",
    "sandbox.expression_failed": "表达式 `%(expression)s` 执行出错：%(detail)s",
    "sandbox.script_failed": "脚本执行出错：%(detail)s",
    "sandbox.variable_too_deep": "变量 %(name)s 嵌套超过 100 层，不能保存为案件数据",
    "sandbox.variable_too_large": "变量 %(name)s 过大，超过案件数据的大小限制",
    "sandbox.service_task": "服务任务未配置：沙箱内不允许调用外部服务",
    "sandbox.too_many_instances": "多实例数量 %(count)s 超过 %(limit)s 的限制",
    # case failures
    "case.failed_at": "%(name)s（%(element)s）：%(detail)s",
}
