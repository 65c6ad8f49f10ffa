"""Test function for awslambdaric: echoes its event; {"fail": msg} raises ValueError."""


def handler(event, context):
    if isinstance(event, dict) and "fail" in event:
        raise ValueError(event["fail"])
    print("python handler", context.aws_request_id)
    return {"echo": event, "requestId": context.aws_request_id,
            "remainingMs": context.get_remaining_time_in_millis()}
