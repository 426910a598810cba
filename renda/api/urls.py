from ninja import NinjaAPI

api = NinjaAPI(title="基层人大工作平台 API", version="1", urls_namespace="api")
