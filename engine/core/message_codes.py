"""The catalogue of engine message codes with their English developer text (see messages.py).

Each template names its parameters in braces; the web's table (web/engine_text.py) names the same ones."""

CODES = {
    "text": "{text}",
    # core
    "bundle.invalid": "the bundle failed validation with {count} problem(s)",
    "run.step_budget": "the process ran more than {budget} steps without reaching a wait state and was stopped "
                       "(last step: {task})",
    "org.not_found": "organisation {code} does not exist",
    "role.not_found": "role {code} does not exist",
    "user.not_found": "user {username} does not exist",
    # sandbox
    "sandbox.cpu_time": "ran past the CPU time limit of {seconds} s and was stopped",
    "sandbox.memory": "used more than the memory limit of {mb} MB and was stopped",
    "sandbox.too_many_items": "the data built has {items} elements, past the limit of {limit}",
    "sandbox.int_too_large": "integer too large (about {bits} bits), past the limit of {limit} bits",
    "sandbox.star_width": "a format width may not be *",
    "sandbox.operator": "unsupported operator {op}",
    "sandbox.type_attribute": "attributes of types are not allowed: {name}",
    "sandbox.range_too_long": "range of length {length} is past the limit of {limit}",
    "sandbox.sum_numbers": "sum only adds numbers",
    "sandbox.round_digits": "too many digits for round",
    "sandbox.import": "imports are not allowed",
    "sandbox.class": "class definitions are not allowed",
    "sandbox.yield": "yield is not allowed",
    "sandbox.name": "{name} is not allowed",
    "sandbox.attribute": "attribute {name} is not allowed",
    "sandbox.format_spec": "a format spec must be a constant width of at most {width}",
    "sandbox.syntax": "syntax error: {detail}",
    "sandbox.too_deep": "the expression nests too deep or is too long to compile",
    "sandbox.expression_failed": "expression `{expression}` failed: {detail}",
    "sandbox.script_failed": "the script failed: {detail}",
    "sandbox.variable_too_deep": "variable {name} nests more than 100 levels and cannot be kept as case data",
    "sandbox.variable_too_large": "variable {name} is past the case data size limit",
    "sandbox.service_task": "service task not configured: the sandbox calls no external service",
    "sandbox.too_many_instances": "{count} instances are past the limit of {limit}",
    # case failures
    "case.failed_at": "{name} ({element}): {detail}",
}
