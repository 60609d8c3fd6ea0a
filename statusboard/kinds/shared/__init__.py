"""What several kinds share, beside them: a kind imports these and kinds/kind.py, never another kind.

aws: the AWS kinds' installation, their `absent` state, ages and AWS's time; web: the URL a target names and
the answer of a server read within the client's cap; numbers: the one threshold model for a number; jsonpath:
a small path into a JSON document.
"""
