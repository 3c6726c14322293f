"""RNN Lab core: models, tasks, measurements and the training loop, with no Streamlit in sight.

Everything here runs headless (command line, tests, notebooks) exactly as it runs in the app.
"""
