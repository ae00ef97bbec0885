enum LambdaSimPlaceholder {}
