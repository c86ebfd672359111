"""Parts every chat-platform adapter shares.

The work queue, refusal memory, log redaction, recent decisions and the texts the bot answers
commands with. Nothing here imports a platform library; each adapter wires these to its client.
"""
