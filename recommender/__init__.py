"""Pure pandas/numpy/scikit-learn recommender of salonbot: DataFrame in, DataFrame out."""
