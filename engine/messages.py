"""Names of the messages the engine itself handles when a diagram throws them and nothing in it catches them."""

NOTIFY_MESSAGE = "notify"        # payload {"to", "title", "body"?, "kind"?}: in-app notification (+ e-mail)
DOCUMENT_MESSAGE = "document"    # payload {"template", "name", "data"?}: fill a Word template, attach it to the case
