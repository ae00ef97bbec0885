print("elastic-apm-lambda-extension")
