from valueproof.cli import main

main()
