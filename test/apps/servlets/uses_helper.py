from helper import VALUE
