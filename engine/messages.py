"""Names of the messages the engine itself handles when a diagram throws them and nothing in it catches them."""

NOTIFY_MESSAGE = "notify"        # payload {"to", "title", "body"?, "kind"?}: in-app notification (+ e-mail)
DOCUMENT_MESSAGE = "document"    # payload {"template", "name", "data"?}: fill a Word template, attach it to the case

# On a message catch event that staff may send from a case page: an expression over the case's data (and `sender`,
# the username of who would send it) that must hold for the action to be offered, e.g. not to someone who
# already leads the case.
OFFER_WHEN_PROPERTY = "offerWhen"
