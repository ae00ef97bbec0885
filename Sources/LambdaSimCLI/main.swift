print("lambda-sim")
