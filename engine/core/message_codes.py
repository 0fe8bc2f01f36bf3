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
}
