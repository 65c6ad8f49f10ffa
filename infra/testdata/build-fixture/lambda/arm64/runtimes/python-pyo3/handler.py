def handler(event, context):
    return {"fixture": True}
