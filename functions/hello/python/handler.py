"""The hello function of the fidelity check: the smallest handler."""


def handler(event, context):
    return {"statusCode": 200, "body": "hello"}
